package org.rll4j.loss;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Immutable hyper-parameters of the Ranked List Loss.
 *
 * <p>Paper: X. Wang, Y. Hua, E. Kodirov, G. Hu, R. Garnier, N. M. Robertson, "Ranked List Loss for
 * Deep Metric Learning", CVPR 2019; extended in IEEE TPAMI 2021 (arXiv:1903.03238).
 *
 * <p>With L2-normalised embeddings and Euclidean (not squared) distances {@code d_ij}, the loss of
 * query {@code i} in a batch of {@code N} examples is
 * <pre>
 *   P*_i = { j != i : y_ij = 1, d_ij &gt; alpha - m }          (violating positives)
 *   N*_i = { j      : y_ij = 0, d_ij &lt; alpha }              (violating negatives)
 *   w+_ij = exp(T_p * (d_ij - (alpha - m)))      w-_ij = exp(T_n * (alpha - d_ij))
 *   L_P(i) = sum_{P*_i} w+_ij (d_ij - (alpha - m)) / sum_{P*_i} w+_ij      (0 if P*_i is empty)
 *   L_N(i) = sum_{N*_i} w-_ij (alpha - d_ij)       / sum_{N*_i} w-_ij      (0 if N*_i is empty)
 *   L(i)   = L_P(i) + lambda * L_N(i)             L = (1/N) sum_i L(i)
 * </pre>
 * Inequalities are strict: a pair exactly on a boundary does not violate. By default the weights
 * (and their normalisers) are constants for the gradient, as the paper frames them
 * ({@link WeightGradient#CONSTANT}); {@link WeightGradient#FLOW} lets gradients flow through them
 * (what pytorch-metric-learning does). The forward value is identical either way.
 *
 * <p>Valid ranges: {@code alpha > 0}, {@code 0 <= margin <= alpha}, {@code tn} and {@code tp}
 * finite (negative values favour easy pairs), {@code lambda >= 0} and finite. Every violation
 * throws an {@link IllegalArgumentException} of the form {@code "margin must be in [0, alpha] =
 * [0, 1.2], found 1.5"}; the builder, the presets and JSON deserialisation share that validation.
 */
public final class RankedListLossConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Whether the gradient flows through the pair weights {@code w} and their per-query normalisers. */
    public enum WeightGradient {
        /** The weights are constants (the paper's formulation; the default). */
        CONSTANT,
        /** The gradient also flows through the weights (as pytorch-metric-learning computes it). */
        FLOW
    }

    private final double alpha;
    private final double margin;
    private final double tn;
    private final double tp;
    private final double lambda;
    private final WeightGradient weightGradient;

    @JsonCreator
    private RankedListLossConfig(@JsonProperty("alpha") double alpha,
                                 @JsonProperty("margin") double margin,
                                 @JsonProperty("tn") double tn,
                                 @JsonProperty("tp") double tp,
                                 @JsonProperty("lambda") double lambda,
                                 @JsonProperty("weightGradient") WeightGradient weightGradient) {
        this.alpha = alpha;
        this.margin = margin;
        this.tn = tn;
        this.tp = tp;
        this.lambda = lambda;
        this.weightGradient = weightGradient;
        validate();
    }

    private void validate() {
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw new IllegalArgumentException("alpha must be finite and > 0, found " + alpha);
        }
        if (!(margin >= 0 && margin <= alpha)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "margin must be in [0, alpha] = [0, %s], found %s", alpha, margin));
        }
        if (!Double.isFinite(tn)) {
            throw new IllegalArgumentException("tn (negative-weight temperature T_n) must be finite, found " + tn);
        }
        if (!Double.isFinite(tp)) {
            throw new IllegalArgumentException("tp (positive-weight temperature T_p) must be finite, found " + tp);
        }
        if (!(lambda >= 0) || !Double.isFinite(lambda)) {
            throw new IllegalArgumentException("lambda must be finite and >= 0, found " + lambda);
        }
        if (weightGradient == null) {
            throw new IllegalArgumentException("weightGradient must be one of CONSTANT, FLOW, found null");
        }
    }

    /** A builder initialised with the paper defaults ({@link #paper()}). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder initialised with this config's values. */
    public Builder toBuilder() {
        return new Builder().alpha(alpha).margin(margin).tn(tn).tp(tp).lambda(lambda).weightGradient(weightGradient);
    }

    /** The CVPR 2019 defaults: alpha 1.2, m 0.4, T_n 10, T_p 0, lambda 1 (also the SOP setting). */
    public static RankedListLossConfig paper() {
        return builder().build();
    }

    /**
     * RLL-Simpler: {@code alpha = 1 + m/2}, {@code T_p = 0}, lambda 1; only {@code m} and {@code T_n}
     * remain to tune. {@code simpler(0.4, 10)} equals {@link #paper()}.
     */
    public static RankedListLossConfig simpler(double margin, double tn) {
        return builder().alpha(1 + margin / 2).margin(margin).tn(tn).tp(0).build();
    }

    /** Stanford Online Products (CVPR 2019): alpha 1.2, m 0.4, T_n 10 (batch 60 x 3). */
    public static RankedListLossConfig sop() {
        return builder().alpha(1.2).margin(0.4).tn(10).build();
    }

    /** CUB-200-2011 (CVPR 2019): alpha 1.4, m 0.2, T_n 10 (batch 20 x 3). */
    public static RankedListLossConfig cub() {
        return builder().alpha(1.4).margin(0.2).tn(10).build();
    }

    /** In-Shop Clothes (TPAMI 2021): alpha 1.2, m 0.4, T_n 12 (batch 22 x 3). */
    public static RankedListLossConfig inShop() {
        return builder().alpha(1.2).margin(0.4).tn(12).build();
    }

    /**
     * CARS196: the paper does not publish its setting; this is {@link #cub()}, the design doc's
     * starting point.
     */
    public static RankedListLossConfig cars196() {
        return cub();
    }

    /** Boundary for negatives: negatives closer than alpha violate. */
    @JsonProperty("alpha")
    public double alpha() {
        return alpha;
    }

    /** Margin m: positives farther than {@code alpha - m} violate. */
    @JsonProperty("margin")
    public double margin() {
        return margin;
    }

    /** Temperature T_n of the negative weights {@code exp(T_n (alpha - d))}. */
    @JsonProperty("tn")
    public double tn() {
        return tn;
    }

    /** Temperature T_p of the positive weights {@code exp(T_p (d - (alpha - m)))}; 0 gives the plain mean. */
    @JsonProperty("tp")
    public double tp() {
        return tp;
    }

    /** Weight of the negative part: {@code L(i) = L_P(i) + lambda L_N(i)}. */
    @JsonProperty("lambda")
    public double lambda() {
        return lambda;
    }

    /** Whether gradients flow through the weights. */
    @JsonProperty("weightGradient")
    public WeightGradient weightGradient() {
        return weightGradient;
    }

    /**
     * An upper bound of the batch mean {@code (1/B) sum_i L(i)}: {@code (2 - (alpha - m)) + lambda alpha}, both
     * hinges at their largest (with unit embeddings every distance lies in [0, 2]). A training score far above it
     * can only come from the regularisation terms, that is from weights growing without limit.
     */
    public double maxBatchMean() {
        return 2 - positiveBoundary() + lambda * alpha;
    }

    /** The boundary for positives, {@code alpha - m}. */
    public double positiveBoundary() {
        return alpha - margin;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof RankedListLossConfig)) {
            return false;
        }
        RankedListLossConfig c = (RankedListLossConfig) o;
        return Double.compare(alpha, c.alpha) == 0 && Double.compare(margin, c.margin) == 0
                && Double.compare(tn, c.tn) == 0 && Double.compare(tp, c.tp) == 0
                && Double.compare(lambda, c.lambda) == 0 && weightGradient == c.weightGradient;
    }

    @Override
    public int hashCode() {
        return Objects.hash(alpha, margin, tn, tp, lambda, weightGradient);
    }

    @Override
    public String toString() {
        return "RankedListLossConfig{alpha=" + alpha + ", margin=" + margin + ", tn=" + tn + ", tp=" + tp
                + ", lambda=" + lambda + ", weightGradient=" + weightGradient + '}';
    }

    /** Validating builder; starts from the paper defaults. {@link #build()} throws on invalid values. */
    public static final class Builder {
        private double alpha = 1.2;
        private double margin = 0.4;
        private double tn = 10;
        private double tp = 0;
        private double lambda = 1;
        private WeightGradient weightGradient = WeightGradient.CONSTANT;

        private Builder() {
        }

        /** Boundary alpha, {@code > 0}. Default 1.2. */
        public Builder alpha(double alpha) {
            this.alpha = alpha;
            return this;
        }

        /** Margin m, in {@code [0, alpha]}. Default 0.4. */
        public Builder margin(double margin) {
            this.margin = margin;
            return this;
        }

        /** Negative temperature T_n, finite. Default 10. */
        public Builder tn(double tn) {
            this.tn = tn;
            return this;
        }

        /** Positive temperature T_p, finite. Default 0 (CVPR plain mean over violating positives). */
        public Builder tp(double tp) {
            this.tp = tp;
            return this;
        }

        /** Negative-part weight lambda, {@code >= 0}. Default 1. */
        public Builder lambda(double lambda) {
            this.lambda = lambda;
            return this;
        }

        /** Gradient through the weights. Default {@link WeightGradient#CONSTANT}. */
        public Builder weightGradient(WeightGradient weightGradient) {
            this.weightGradient = weightGradient;
            return this;
        }

        /** Validates and builds; throws {@link IllegalArgumentException} naming the field, rule and value. */
        public RankedListLossConfig build() {
            return new RankedListLossConfig(alpha, margin, tn, tp, lambda, weightGradient);
        }
    }
}
