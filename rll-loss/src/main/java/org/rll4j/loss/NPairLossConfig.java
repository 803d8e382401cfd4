package org.rll4j.loss;

import java.util.Locale;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The multi-class N-pair loss (K. Sohn, "Improved Deep Metric Learning with Multi-class N-pair Loss
 * Objective", NeurIPS 2016, eq. 6) as the paper defines it: on the <b>raw</b> (not normalised) embeddings
 * {@code f_i}, with dot products {@code s_ij = f_i . f_j} as logits and an L2 penalty on the embeddings'
 * norms, generalised to batches of several examples per class: every positive {@code p} of anchor {@code i}
 * is one (N+1)-tuple with all of the anchor's negatives,
 * <pre>
 *   L(i) = (1/|P_i|) sum_{p in P_i} log(1 + sum_{k in N_i} exp(s_ik - s_ip))  +  (lambda / 2) ||f_i||^2
 * </pre>
 * The first term is 0 without a positive or a negative; the penalty always counts. The batch mean of the
 * penalty, {@code (lambda/2) mean_i ||f_i||^2}, is the regulariser of TensorFlow's {@code npairs_loss}
 * ({@code lambda/4 (mean ||f_anchor||^2 + mean ||f_positive||^2)}), with its default and the paper's
 * {@code lambda = 0.002}. Without it the loss could shrink by scaling the embeddings up. The logits are not
 * bounded, so each log-sum-exp is computed with its largest exponent (or 0) subtracted. Retrieval, as for
 * every loss, uses the normalised embeddings (the layer's {@code output()}). Valid: {@code lambda} finite and
 * {@code >= 0}. (On normalised embeddings without a scale the logits would be cosines in [-1, 1]: over hundreds
 * of negatives the softmax stays nearly uniform and the loss hardly trains.)
 */
public final class NPairLossConfig extends MetricLossConfig {

    private static final long serialVersionUID = 2L;

    private final double l2Regularization;

    @JsonCreator
    private NPairLossConfig(@JsonProperty("l2Regularization") double l2Regularization) {
        this.l2Regularization = l2Regularization;
        if (!(l2Regularization >= 0) || !Double.isFinite(l2Regularization)) {
            throw new IllegalArgumentException("l2Regularization (lambda) must be finite and >= 0, found " + l2Regularization);
        }
    }

    /** The paper's loss, {@code lambda = 0.002}. */
    public static NPairLossConfig defaults() {
        return withL2Regularization(0.002);
    }

    /**
     * @param lambda the weight of the norm penalty, {@code >= 0}
     * @return the loss with that weight
     */
    public static NPairLossConfig withL2Regularization(double lambda) {
        return new NPairLossConfig(lambda);
    }

    /** {@code lambda}: the weight of {@code (1/2) ||f_i||^2}. */
    @JsonProperty("l2Regularization")
    public double l2Regularization() {
        return l2Regularization;
    }

    @Override
    PairwiseEngine.PairTerms terms() {
        return new Terms(l2Regularization);
    }

    @Override
    public String lossName() {
        return "N-pair Loss";
    }

    /** Unbounded: the logits are dot products of raw embeddings. */
    @Override
    public double maxBatchMean(int batchSize) {
        return Double.POSITIVE_INFINITY;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NPairLossConfig c && c.l2Regularization == l2Regularization;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(l2Regularization);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "NPairLossConfig{l2Regularization=%s}", l2Regularization);
    }

    /**
     * With {@code a_k = s_ik - s_ip}, {@code c = max(0, max_k a_k)}, {@code Z = e^{-c} + sum_k e^{a_k - c}}:
     * {@code l = c + log Z}, {@code dl/ds_ik = e^{a_k - c} / Z}, {@code dl/ds_ip = -(1 - e^{-c} / Z)}, each
     * divided by {@code |P_i|}; the penalty adds {@code lambda / 2} to {@code dL(i)/ds_ii} ({@code s_ii = ||f_i||^2}).
     */
    private record Terms(double lambda) implements PairwiseEngine.SimilarityTerms {

        @Override
        public boolean normalizes() {
            return false;
        }

        @Override
        public void evaluate(PairwiseEngine.Pairs pairs, double[] loss, double[] gradD, double[] gradS) {
            int b = pairs.size();
            for (int i = 0; i < b; i++) {
                long id = pairs.id(i);
                loss[i] = lambda / 2 * pairs.similarity(i, i);
                if (gradS != null) {
                    gradS[i * b + i] += lambda / 2;
                }
                int positives = pairs.positives(i);
                if (positives == 0 || pairs.negatives(i) == 0) {
                    continue;
                }
                double hardest = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < b; k++) {
                    if (pairs.id(k) != id) {
                        hardest = Math.max(hardest, pairs.similarity(i, k));
                    }
                }
                for (int p = 0; p < b; p++) {
                    if (p == i || pairs.id(p) != id) {
                        continue;
                    }
                    double sp = pairs.similarity(i, p);
                    double c = Math.max(0, hardest - sp);
                    double one = Math.exp(-c);
                    double z = one;
                    for (int k = 0; k < b; k++) {
                        if (pairs.id(k) != id) {
                            z += Math.exp(pairs.similarity(i, k) - sp - c);
                        }
                    }
                    loss[i] += (c + Math.log(z)) / positives;
                    if (gradS == null) {
                        continue;
                    }
                    for (int k = 0; k < b; k++) {
                        if (pairs.id(k) != id) {
                            gradS[i * b + k] += Math.exp(pairs.similarity(i, k) - sp - c) / z / positives;
                        }
                    }
                    gradS[i * b + p] -= (1 - one / z) / positives;
                }
            }
        }
    }
}
