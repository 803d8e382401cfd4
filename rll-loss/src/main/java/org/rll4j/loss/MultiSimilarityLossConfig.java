package org.rll4j.loss;

import java.util.Objects;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The Multi-Similarity loss with its pair mining (X. Wang, X. Han, W. Huang, D. Dong, M. R. Scott,
 * "Multi-Similarity Loss with General Pair Weighting for Deep Metric Learning", CVPR 2019, eqs. 8-10) on the
 * cosine similarities {@code s_ij = e_i . e_j} of L2-normalised embeddings. For anchor {@code i}, mining keeps
 * <pre>
 *   negatives  k in N_i  with  s_ik + epsilon &gt; min_{p in P_i} s_ip
 *   positives  p in P_i  with  s_ip - epsilon &lt; max_{k in N_i} s_ik
 * </pre>
 * and, over the kept pairs,
 * <pre>
 *   L(i) = 1/alpha log(1 + sum_p exp(-alpha (s_ip - lambda))) + 1/beta log(1 + sum_k exp(beta (s_ik - lambda)))
 * </pre>
 * ({@code L(i) = 0} without a positive or a negative). Both log-sum-exps are computed with their largest
 * exponent (or 0) subtracted. Defaults {@code alpha = 2}, {@code beta = 50}, {@code lambda = 0.5},
 * {@code epsilon = 0.1}: the paper's alpha, beta and epsilon with the threshold of its public code and of
 * pytorch-metric-learning ({@code base = 0.5}). Valid: {@code alpha, beta > 0}, {@code lambda} in [-1, 1],
 * {@code epsilon >= 0}, all finite.
 */
public final class MultiSimilarityLossConfig extends MetricLossConfig {

    private static final long serialVersionUID = 1L;

    private final double alpha;
    private final double beta;
    private final double lambda;
    private final double epsilon;

    @JsonCreator
    private MultiSimilarityLossConfig(@JsonProperty("alpha") double alpha, @JsonProperty("beta") double beta,
                                      @JsonProperty("lambda") double lambda, @JsonProperty("epsilon") double epsilon) {
        this.alpha = alpha;
        this.beta = beta;
        this.lambda = lambda;
        this.epsilon = epsilon;
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw new IllegalArgumentException("alpha must be finite and > 0, found " + alpha);
        }
        if (!(beta > 0) || !Double.isFinite(beta)) {
            throw new IllegalArgumentException("beta must be finite and > 0, found " + beta);
        }
        if (!(lambda >= -1 && lambda <= 1)) {
            throw new IllegalArgumentException("lambda must be in [-1, 1] (a cosine similarity), found " + lambda);
        }
        if (!(epsilon >= 0) || !Double.isFinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be finite and >= 0, found " + epsilon);
        }
    }

    /** A builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** alpha 2, beta 50, lambda 0.5, epsilon 0.1. */
    public static MultiSimilarityLossConfig defaults() {
        return builder().build();
    }

    /** Positive scale alpha. */
    @JsonProperty("alpha")
    public double alpha() {
        return alpha;
    }

    /** Negative scale beta. */
    @JsonProperty("beta")
    public double beta() {
        return beta;
    }

    /** Similarity threshold lambda. */
    @JsonProperty("lambda")
    public double lambda() {
        return lambda;
    }

    /** Mining margin epsilon. */
    @JsonProperty("epsilon")
    public double epsilon() {
        return epsilon;
    }

    @Override
    PairwiseEngine.PairTerms terms() {
        return new Terms(alpha, beta, lambda, epsilon);
    }

    @Override
    public String lossName() {
        return "Multi-Similarity Loss";
    }

    /** Both log-sum-exps with {@code B - 1} terms at their largest exponents, {@code alpha (1 + lambda)} and {@code beta (1 - lambda)}. */
    @Override
    public double maxBatchMean(int batchSize) {
        double n = Math.max(1, batchSize - 1);
        return (alpha * (1 + lambda) + Math.log(1 + n)) / alpha + (beta * (1 - lambda) + Math.log(1 + n)) / beta;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MultiSimilarityLossConfig c && c.alpha == alpha && c.beta == beta && c.lambda == lambda
                && c.epsilon == epsilon;
    }

    @Override
    public int hashCode() {
        return Objects.hash(alpha, beta, lambda, epsilon);
    }

    @Override
    public String toString() {
        return "MultiSimilarityLossConfig{alpha=" + alpha + ", beta=" + beta + ", lambda=" + lambda + ", epsilon=" + epsilon + '}';
    }

    /** Validating builder. */
    public static final class Builder {
        private double alpha = 2;
        private double beta = 50;
        private double lambda = 0.5;
        private double epsilon = 0.1;

        private Builder() {
        }

        /** Default 2. */
        public Builder alpha(double v) {
            this.alpha = v;
            return this;
        }

        /** Default 50. */
        public Builder beta(double v) {
            this.beta = v;
            return this;
        }

        /** Default 0.5. */
        public Builder lambda(double v) {
            this.lambda = v;
            return this;
        }

        /** Default 0.1. */
        public Builder epsilon(double v) {
            this.epsilon = v;
            return this;
        }

        /** Validates and builds. */
        public MultiSimilarityLossConfig build() {
            return new MultiSimilarityLossConfig(alpha, beta, lambda, epsilon);
        }
    }

    /**
     * {@code dL/ds_ip = -exp(a_p) / (1 + sum exp(a))} with {@code a_p = -alpha (s_ip - lambda)}, and
     * {@code dL/ds_ik = exp(b_k) / (1 + sum exp(b))} with {@code b_k = beta (s_ik - lambda)}; mining is
     * piecewise constant and carries no gradient.
     */
    private record Terms(double alpha, double beta, double lambda, double epsilon) implements PairwiseEngine.SimilarityTerms {

        @Override
        public void evaluate(PairwiseEngine.Pairs pairs, double[] loss, double[] gradD, double[] gradS) {
            int b = pairs.size();
            for (int i = 0; i < b; i++) {
                long id = pairs.id(i);
                double minPos = Double.POSITIVE_INFINITY;
                double maxNeg = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < b; j++) {
                    double s = pairs.similarity(i, j);
                    if (pairs.id(j) == id) {
                        if (j != i) {
                            minPos = Math.min(minPos, s);
                        }
                    } else {
                        maxNeg = Math.max(maxNeg, s);
                    }
                }
                if (minPos == Double.POSITIVE_INFINITY || maxNeg == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                // largest exponent of each kept set, and 0 for the "1 +"
                double shiftPos = 0;
                double shiftNeg = 0;
                for (int j = 0; j < b; j++) {
                    double s = pairs.similarity(i, j);
                    if (keptPositive(pairs, i, j, s, maxNeg)) {
                        shiftPos = Math.max(shiftPos, -alpha * (s - lambda));
                    } else if (keptNegative(pairs, i, j, s, minPos)) {
                        shiftNeg = Math.max(shiftNeg, beta * (s - lambda));
                    }
                }
                double zPos = Math.exp(-shiftPos);
                double zNeg = Math.exp(-shiftNeg);
                for (int j = 0; j < b; j++) {
                    double s = pairs.similarity(i, j);
                    if (keptPositive(pairs, i, j, s, maxNeg)) {
                        zPos += Math.exp(-alpha * (s - lambda) - shiftPos);
                    } else if (keptNegative(pairs, i, j, s, minPos)) {
                        zNeg += Math.exp(beta * (s - lambda) - shiftNeg);
                    }
                }
                loss[i] = (shiftPos + Math.log(zPos)) / alpha + (shiftNeg + Math.log(zNeg)) / beta;
                if (gradS == null) {
                    continue;
                }
                for (int j = 0; j < b; j++) {
                    double s = pairs.similarity(i, j);
                    if (keptPositive(pairs, i, j, s, maxNeg)) {
                        gradS[i * b + j] -= Math.exp(-alpha * (s - lambda) - shiftPos) / zPos;
                    } else if (keptNegative(pairs, i, j, s, minPos)) {
                        gradS[i * b + j] += Math.exp(beta * (s - lambda) - shiftNeg) / zNeg;
                    }
                }
            }
        }

        private boolean keptPositive(PairwiseEngine.Pairs pairs, int i, int j, double s, double maxNeg) {
            return j != i && pairs.id(j) == pairs.id(i) && s - epsilon < maxNeg;
        }

        private boolean keptNegative(PairwiseEngine.Pairs pairs, int i, int j, double s, double minPos) {
            return pairs.id(j) != pairs.id(i) && s + epsilon > minPos;
        }
    }
}
