package org.rll4j.loss;

import java.util.Locale;
import java.util.Objects;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The contrastive loss (R. Hadsell, S. Chopra, Y. LeCun, "Dimensionality Reduction by Learning an Invariant
 * Mapping", CVPR 2006) with a positive and a negative margin, as pytorch-metric-learning's {@code ContrastiveLoss}
 * with its default reducer computes it and the "Metric Learning Reality Check" (K. Musgrave, S. Belongie,
 * S.-N. Lim, ECCV 2020) benchmarks it: unsquared hinges on the Euclidean distances {@code d_ij} of
 * L2-normalised embeddings, each kind of term averaged over the batch's <em>non-zero</em> terms of that kind.
 * Over the ordered pairs {@code (i, j)}, {@code i != j}, of the batch:
 * <pre>
 *   p_ij = [d_ij - m_p]_+  (same class)        n_ij = [m_n - d_ij]_+  (different classes)
 *   L    = (1/|{p_ij > 0}|) sum p_ij  +  (1/|{n_ij > 0}|) sum n_ij
 * </pre>
 * with {@code [x]_+ = max(x, 0)}; a kind without a non-zero term contributes 0. Averaging over the non-zero
 * terms keeps the push of the few negatives inside the margin as strong as the pull of the positives; an
 * average over all pairs would weight one negative about {@code |N_i| / |P_i|} times less than one positive
 * (with 254 negatives and one positive per query, the embedding collapsed in our emoji benchmark). The counts
 * are constants of the batch for the gradient. As a per-query loss (the layers report the batch mean of
 * {@code L(i)}): {@code L(i) = B sum_j p_ij / |{p > 0}| + B sum_j n_ij / |{n > 0}|}, so that
 * {@code (1/B) sum_i L(i) = L}. Hadsell et al. square both hinges and use one margin ({@code m_p = 0}). Defaults:
 * {@code m_p = 0}, {@code m_n = 1} (cosine similarity below 0.5 for negatives). Valid: {@code 0 <= m_p < m_n},
 * both finite; the builder throws an {@link IllegalArgumentException} naming the field and value otherwise.
 */
public final class ContrastiveLossConfig extends MetricLossConfig {

    private static final long serialVersionUID = 1L;

    private final double positiveMargin;
    private final double negativeMargin;

    @JsonCreator
    private ContrastiveLossConfig(@JsonProperty("positiveMargin") double positiveMargin,
                                  @JsonProperty("negativeMargin") double negativeMargin) {
        this.positiveMargin = positiveMargin;
        this.negativeMargin = negativeMargin;
        if (!(positiveMargin >= 0) || !Double.isFinite(positiveMargin)) {
            throw new IllegalArgumentException("positiveMargin (m_p) must be finite and >= 0, found " + positiveMargin);
        }
        if (!(negativeMargin > positiveMargin) || !Double.isFinite(negativeMargin)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "negativeMargin (m_n) must be finite and > positiveMargin = %s, found %s", positiveMargin, negativeMargin));
        }
    }

    /** A builder with the defaults {@code m_p = 0}, {@code m_n = 1}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The defaults: {@code m_p = 0}, {@code m_n = 1}. */
    public static ContrastiveLossConfig defaults() {
        return builder().build();
    }

    /** {@code m_p}: positives closer than this cost nothing. */
    @JsonProperty("positiveMargin")
    public double positiveMargin() {
        return positiveMargin;
    }

    /** {@code m_n}: negatives farther than this cost nothing. */
    @JsonProperty("negativeMargin")
    public double negativeMargin() {
        return negativeMargin;
    }

    @Override
    PairwiseEngine.PairTerms terms() {
        return new ContrastiveTerms(positiveMargin, negativeMargin);
    }

    @Override
    public String lossName() {
        return "Contrastive Loss";
    }

    /** {@code (2 - m_p) + m_n}: both hinges at their largest. */
    @Override
    public double maxBatchMean(int batchSize) {
        return 2 - positiveMargin + negativeMargin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContrastiveLossConfig c && c.positiveMargin == positiveMargin && c.negativeMargin == negativeMargin;
    }

    @Override
    public int hashCode() {
        return Objects.hash(positiveMargin, negativeMargin);
    }

    @Override
    public String toString() {
        return "ContrastiveLossConfig{positiveMargin=" + positiveMargin + ", negativeMargin=" + negativeMargin + '}';
    }

    /** Validating builder; starts from the defaults. */
    public static final class Builder {
        private double positiveMargin = 0;
        private double negativeMargin = 1;

        private Builder() {
        }

        /** {@code m_p >= 0}; default 0. */
        public Builder positiveMargin(double m) {
            this.positiveMargin = m;
            return this;
        }

        /** {@code m_n > m_p}; default 1. */
        public Builder negativeMargin(double m) {
            this.negativeMargin = m;
            return this;
        }

        /** Validates and builds. */
        public ContrastiveLossConfig build() {
            return new ContrastiveLossConfig(positiveMargin, negativeMargin);
        }
    }

    /**
     * The terms: {@code dL(i)/dd_ij = B / |{p > 0}|} for a positive beyond {@code m_p}, {@code -B / |{n > 0}|} for a
     * negative within {@code m_n}, 0 otherwise (a hinge exactly at its margin has derivative 0).
     */
    private static final class ContrastiveTerms implements PairwiseEngine.DistanceTerms {
        private final double mp;
        private final double mn;

        ContrastiveTerms(double mp, double mn) {
            this.mp = mp;
            this.mn = mn;
        }

        @Override
        public boolean mayContribute(boolean sameClass, double squaredDistance) {
            return PairwiseEngine.hingesMayContribute(sameClass, squaredDistance, mp, mn);
        }

        @Override
        public void evaluate(PairwiseEngine.Pairs pairs, double[] loss, double[] gradD, double[] gradS) {
            int b = pairs.size();
            double[] pos = new double[b];
            double[] neg = new double[b];
            long activePos = 0;
            long activeNeg = 0;
            for (int i = 0; i < b; i++) {
                long id = pairs.id(i);
                for (int j = 0; j < b; j++) {
                    double dij = pairs.distance(i, j);   // NaN for pairs that cost nothing: every comparison fails
                    if (pairs.id(j) == id) {
                        if (j != i && dij > mp) {
                            pos[i] += dij - mp;
                            activePos++;
                            if (gradD != null) {
                                gradD[i * b + j] = 1;       // the sign of the derivative; its weight follows the counts
                            }
                        }
                    } else if (dij < mn) {
                        neg[i] += mn - dij;
                        activeNeg++;
                        if (gradD != null) {
                            gradD[i * b + j] = -1;
                        }
                    }
                }
            }
            double wPos = activePos == 0 ? 0 : (double) b / activePos;
            double wNeg = activeNeg == 0 ? 0 : (double) b / activeNeg;
            for (int i = 0; i < b; i++) {
                loss[i] = wPos * pos[i] + wNeg * neg[i];
            }
            if (gradD != null) {
                for (int k = 0; k < gradD.length; k++) {
                    gradD[k] *= gradD[k] > 0 ? wPos : wNeg;
                }
            }
        }
    }
}
