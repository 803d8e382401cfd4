package org.rll4j.loss;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The lifted structured loss in its smooth form (H. O. Song, Y. Xiang, S. Jegelka, S. Savarese, "Deep Metric
 * Learning via Lifted Structured Feature Embedding", CVPR 2016, eq. 4) as the paper defines it: on the
 * <b>raw</b> (not normalised) embeddings and their Euclidean distances {@code d}, as the authors' Caffe layer
 * and TensorFlow's {@code lifted_struct_loss} compute it. With {@code P} the batch's unordered positive pairs
 * and {@code N_i} the negatives of example {@code i}:
 * <pre>
 *   J_ij = log( sum_{k in N_i} exp(m - d_ik) + sum_{l in N_j} exp(m - d_jl) ) + d_ij
 *   L    = 1/(2|P|) sum_{(i,j) in P} [J_ij]_+^2
 * </pre>
 * As a per-query loss (the layers report the batch mean of {@code L(i)}), each ordered positive pair counts
 * for its first example: {@code L(i) = B / (4|P|) sum_{j in P_i} [J_ij]_+^2}, so that {@code (1/B) sum_i L(i) = L}.
 * A pair without any negative (a single-class batch) has {@code J = -infinity} and costs nothing; a batch
 * without positive pairs costs 0. The log-sum-exp is computed with its largest exponent subtracted. Default
 * margin {@code m = 1} (the paper's alpha). Valid: {@code m} finite and {@code >= 0}. Retrieval, as for every
 * loss, uses the normalised embeddings (the layer's {@code output()}).
 *
 * <p>Why raw: on unit embeddings every distance is at most 2, so each of the {@code n = |N_i| + |N_j|} negative
 * terms is at least {@code e^{m - 2}} and {@code J_ij >= log(n) + m - 2}, which is positive from {@code n = 3} at
 * {@code m = 1}: in a batch of hundreds every pair stays active, with nearly uniform weights on its negatives,
 * whatever the embedding. Raw embeddings can move negatives beyond the margin.
 */
public final class LiftedStructureLossConfig extends MetricLossConfig {

    private static final long serialVersionUID = 1L;

    private final double margin;

    @JsonCreator
    private LiftedStructureLossConfig(@JsonProperty("margin") double margin) {
        this.margin = margin;
        if (!(margin >= 0) || !Double.isFinite(margin)) {
            throw new IllegalArgumentException("margin must be finite and >= 0, found " + margin);
        }
    }

    /** The paper's margin, 1. */
    public static LiftedStructureLossConfig defaults() {
        return withMargin(1.0);
    }

    /**
     * @param margin {@code m >= 0}
     * @return the loss with that margin
     */
    public static LiftedStructureLossConfig withMargin(double margin) {
        return new LiftedStructureLossConfig(margin);
    }

    /** The margin {@code m}. */
    @JsonProperty("margin")
    public double margin() {
        return margin;
    }

    @Override
    PairwiseEngine.PairTerms terms() {
        return new Terms(margin);
    }

    @Override
    public String lossName() {
        return "Lifted Structure Loss";
    }

    /** Unbounded: the distances are those of raw embeddings. */
    @Override
    public double maxBatchMean(int batchSize) {
        return Double.POSITIVE_INFINITY;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LiftedStructureLossConfig c && c.margin == margin;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(margin);
    }

    @Override
    public String toString() {
        return "LiftedStructureLossConfig{margin=" + margin + '}';
    }

    /**
     * Per example: the largest negative exponent {@code r_i = max_{N_i} (m - d_ik)} and
     * {@code s_i = sum_{N_i} exp(m - d_ik - r_i)}; a pair's log-sum-exp is {@code a + log(s_i e^{r_i - a} +
     * s_j e^{r_j - a})} with {@code a = max(r_i, r_j)}. {@code dJ/dd_ij = 1}, {@code dJ/dd_ik = -e^{m - d_ik - a} / Z'}.
     */
    private record Terms(double margin) implements PairwiseEngine.DistanceTerms {

        @Override
        public boolean normalizes() {
            return false;
        }

        @Override
        public void evaluate(PairwiseEngine.Pairs pairs, double[] loss, double[] gradD, double[] gradS) {
            int b = pairs.size();
            double[] r = new double[b];
            double[] s = new double[b];
            long positivePairs = 0;
            for (int i = 0; i < b; i++) {
                r[i] = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < b; k++) {
                    if (pairs.id(k) != pairs.id(i)) {
                        r[i] = Math.max(r[i], margin - pairs.distance(i, k));
                    } else if (k > i) {
                        positivePairs++;
                    }
                }
                for (int k = 0; k < b; k++) {
                    if (pairs.id(k) != pairs.id(i)) {
                        s[i] += Math.exp(margin - pairs.distance(i, k) - r[i]);
                    }
                }
            }
            if (positivePairs == 0) {
                return;
            }
            double scale = b / (4.0 * positivePairs);
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < b; j++) {
                    if (j == i || pairs.id(j) != pairs.id(i)) {
                        continue;
                    }
                    double a = Math.max(r[i], r[j]);
                    if (a == Double.NEGATIVE_INFINITY) {
                        continue;                                  // no negatives at all: J = -infinity
                    }
                    double zi = r[i] == Double.NEGATIVE_INFINITY ? 0 : s[i] * Math.exp(r[i] - a);
                    double zj = r[j] == Double.NEGATIVE_INFINITY ? 0 : s[j] * Math.exp(r[j] - a);
                    double z = zi + zj;
                    double j_ = a + Math.log(z) + pairs.distance(i, j);
                    if (!(j_ > 0)) {
                        continue;
                    }
                    loss[i] += scale * j_ * j_;
                    if (gradD == null) {
                        continue;
                    }
                    double g = 2 * scale * j_;                    // dL(i)/dJ_ij
                    gradD[i * b + j] += g;
                    for (int k = 0; k < b; k++) {
                        if (pairs.id(k) != pairs.id(i)) {
                            gradD[i * b + k] -= g * Math.exp(margin - pairs.distance(i, k) - a) / z;
                        }
                        if (pairs.id(k) != pairs.id(j)) {
                            gradD[j * b + k] -= g * Math.exp(margin - pairs.distance(j, k) - a) / z;
                        }
                    }
                }
            }
        }
    }
}
