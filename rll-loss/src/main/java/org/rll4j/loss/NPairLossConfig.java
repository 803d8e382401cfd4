package org.rll4j.loss;

import org.nd4j.shade.jackson.annotation.JsonCreator;

/**
 * The multi-class N-pair loss (K. Sohn, "Improved Deep Metric Learning with Multi-class N-pair Loss
 * Objective", NeurIPS 2016, eq. 6) on the cosine similarities {@code s_ij = e_i . e_j} of L2-normalised
 * embeddings, generalised to batches of several examples per class: every positive {@code p} of anchor
 * {@code i} is one (N+1)-tuple with all of the anchor's negatives,
 * <pre>
 *   L(i) = (1/|P_i|) sum_{p in P_i} log(1 + sum_{k in N_i} exp(s_ik - s_ip))
 * </pre>
 * and {@code L(i) = 0} without a positive or a negative. Sohn regularises the norms of unnormalised
 * embeddings ({@code lambda ||f||^2}); on unit embeddings that term is constant and left out. No
 * hyper-parameters ({@code s} in [-1, 1] keeps every exponent in [-2, 2], so no shift is needed).
 */
public final class NPairLossConfig extends MetricLossConfig {

    private static final long serialVersionUID = 1L;
    private static final NPairLossConfig INSTANCE = new NPairLossConfig();

    @JsonCreator
    private NPairLossConfig() {
    }

    /** The loss (it has no hyper-parameters). */
    public static NPairLossConfig defaults() {
        return INSTANCE;
    }

    @Override
    PairwiseEngine.PairTerms terms() {
        return Terms.INSTANCE;
    }

    @Override
    public String lossName() {
        return "N-pair Loss";
    }

    /** {@code log(1 + (B - 1) e^2)}: every negative as similar as possible, the positive opposite. */
    @Override
    public double maxBatchMean(int batchSize) {
        return Math.log(1 + Math.max(1, batchSize - 1) * Math.exp(2));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NPairLossConfig;
    }

    @Override
    public int hashCode() {
        return NPairLossConfig.class.hashCode();
    }

    @Override
    public String toString() {
        return "NPairLossConfig{}";
    }

    /**
     * With {@code Z_ip = 1 + sum_k exp(s_ik - s_ip)} and {@code w_k = exp(s_ik - s_ip) / Z_ip}:
     * {@code dl/ds_ik = w_k}, {@code dl/ds_ip = -(1 - 1/Z_ip)}, each divided by {@code |P_i|}.
     */
    private static final class Terms implements PairwiseEngine.SimilarityTerms {
        static final Terms INSTANCE = new Terms();

        @Override
        public void evaluate(PairwiseEngine.Pairs pairs, double[] loss, double[] gradD, double[] gradS) {
            int b = pairs.size();
            for (int i = 0; i < b; i++) {
                long id = pairs.id(i);
                int positives = pairs.positives(i);
                if (positives == 0 || pairs.negatives(i) == 0) {
                    continue;
                }
                for (int p = 0; p < b; p++) {
                    if (p == i || pairs.id(p) != id) {
                        continue;
                    }
                    double sp = pairs.similarity(i, p);
                    double z = 1;
                    for (int k = 0; k < b; k++) {
                        if (pairs.id(k) != id) {
                            z += Math.exp(pairs.similarity(i, k) - sp);
                        }
                    }
                    loss[i] += Math.log(z) / positives;
                    if (gradS == null) {
                        continue;
                    }
                    for (int k = 0; k < b; k++) {
                        if (pairs.id(k) != id) {
                            gradS[i * b + k] += Math.exp(pairs.similarity(i, k) - sp) / z / positives;
                        }
                    }
                    gradS[i * b + p] -= (1 - 1 / z) / positives;
                }
            }
        }
    }
}
