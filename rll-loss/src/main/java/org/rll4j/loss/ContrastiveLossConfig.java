package org.rll4j.loss;

import java.util.Locale;
import java.util.Objects;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The contrastive loss (R. Hadsell, S. Chopra, Y. LeCun, "Dimensionality Reduction by Learning an Invariant
 * Mapping", CVPR 2006) with a positive and a negative margin, the unsquared two-margin hinges of
 * pytorch-metric-learning's {@code ContrastiveLoss}: on L2-normalised embeddings and Euclidean (not squared)
 * distances {@code d_ij}, the loss of query {@code i} in a batch is
 * <pre>
 *   P_i = { j != i : y_ij = 1 }        N_i = { j : y_ij = 0 }
 *   L(i) = (1/|P_i|) sum_{P_i} [d_ij - m_p]_+  +  (1/|N_i|) sum_{N_i} [m_n - d_ij]_+
 * </pre>
 * with {@code [x]_+ = max(x, 0)}; an empty set contributes 0, and each set is averaged over all its pairs of
 * the query. This averaging differs from pytorch-metric-learning's default reducer, which averages only the
 * non-zero positive terms, and separately the non-zero negative terms, over the whole batch: with many
 * negatives per query and few of them inside the margin, our form weights the negatives' push much less. Positives closer than {@code m_p} and negatives farther than {@code m_n} cost
 * nothing. Hadsell et al. square both hinges and use one margin ({@code m_p = 0}); the two-margin, unsquared form
 * is the one the "Metric Learning Reality Check" (Musgrave, Belongie and Lim, ECCV 2020) benchmarks. Defaults:
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
     * The terms: {@code dL(i)/dd_ij = 1/|P_i|} for a positive beyond {@code m_p}, {@code -1/|N_i|} for a negative
     * within {@code m_n}, 0 otherwise (a hinge exactly at its margin has derivative 0).
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
            for (int i = 0; i < b; i++) {
                long id = pairs.id(i);
                int positives = pairs.positives(i);
                int negatives = pairs.negatives(i);
                double sumPos = 0;
                double sumNeg = 0;
                for (int j = 0; j < b; j++) {
                    double dij = pairs.distance(i, j);   // NaN for pairs that cost nothing: every comparison fails
                    if (pairs.id(j) == id) {
                        if (j != i && dij > mp) {
                            sumPos += dij - mp;
                        }
                    } else if (dij < mn) {
                        sumNeg += mn - dij;
                    }
                }
                loss[i] = (positives > 0 ? sumPos / positives : 0) + (negatives > 0 ? sumNeg / negatives : 0);
                if (gradD == null) {
                    continue;
                }
                for (int j = 0; j < b; j++) {
                    double dij = pairs.distance(i, j);
                    if (pairs.id(j) == id) {
                        if (j != i && dij > mp) {
                            gradD[i * b + j] += 1.0 / positives;
                        }
                    } else if (dij < mn) {
                        gradD[i * b + j] -= 1.0 / negatives;
                    }
                }
            }
        }
    }
}
