package org.rll4j.loss;

import java.util.Objects;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The triplet margin loss with one of two in-batch mining rules, on L2-normalised embeddings and Euclidean
 * distances {@code d}, with {@code [x]_+ = max(x, 0)}, {@code P_i = {j != i : y_ij = 1}}, {@code N_i = {k : y_ik = 0}}:
 * <ul>
 *   <li>{@link Mining#BATCH_HARD} (A. Hermans, L. Beyer, B. Leibe, "In Defense of the Triplet Loss for Person
 *       Re-Identification", arXiv:1703.07737, 2017): each anchor with its farthest positive and nearest
 *       negative, {@code L(i) = [m + max_{P_i} d_ij - min_{N_i} d_ik]_+};</li>
 *   <li>{@link Mining#SEMI_HARD} (F. Schroff, D. Kalenichenko, J. Philbin, "FaceNet", CVPR 2015): for each
 *       positive {@code p} of anchor {@code i}, the nearest negative farther than the positive,
 *       {@code n = argmin {d_ik : k in N_i, d_ik > d_ip}} (if none is, the farthest negative, as in
 *       TensorFlow Addons' {@code triplet_semihard_loss}), and
 *       {@code L(i) = (1/|P_i|) sum_{p in P_i} [m + d_ip - d_in]_+}.</li>
 * </ul>
 * An anchor without a positive or without a negative has {@code L(i) = 0}. Ties in a maximum or minimum take
 * the lowest index. The papers use squared distances on unnormalised (Hermans: also soft-margin) embeddings;
 * this form, with unit embeddings as for every loss here, is pytorch-metric-learning's
 * {@code TripletMarginLoss} with its batch-hard and semi-hard miners. Default margin {@code m = 0.2}
 * (FaceNet's alpha; one of Hermans et al.'s settings). Valid: {@code m} finite and {@code > 0}.
 */
public final class TripletLossConfig extends MetricLossConfig {

    private static final long serialVersionUID = 1L;

    /** How each anchor's triplets are chosen. */
    public enum Mining {
        /** Hermans et al. 2017: the farthest positive and the nearest negative. */
        BATCH_HARD,
        /** Schroff et al. 2015: every positive, with the nearest negative beyond it. */
        SEMI_HARD
    }

    private final double margin;
    private final Mining mining;

    @JsonCreator
    private TripletLossConfig(@JsonProperty("margin") double margin, @JsonProperty("mining") Mining mining) {
        this.margin = margin;
        this.mining = mining;
        if (!(margin > 0) || !Double.isFinite(margin)) {
            throw new IllegalArgumentException("margin must be finite and > 0, found " + margin);
        }
        if (mining == null) {
            throw new IllegalArgumentException("mining must be one of BATCH_HARD, SEMI_HARD, found null");
        }
    }

    /** A builder: margin 0.2, batch-hard mining. */
    public static Builder builder() {
        return new Builder();
    }

    /** Batch-hard mining, margin 0.2. */
    public static TripletLossConfig batchHard() {
        return builder().build();
    }

    /** Semi-hard mining, margin 0.2. */
    public static TripletLossConfig semiHard() {
        return builder().mining(Mining.SEMI_HARD).build();
    }

    /** The margin {@code m}. */
    @JsonProperty("margin")
    public double margin() {
        return margin;
    }

    /** The mining rule. */
    @JsonProperty("mining")
    public Mining mining() {
        return mining;
    }

    @Override
    PairwiseEngine.PairTerms terms() {
        return new Terms(margin, mining);
    }

    @Override
    public String lossName() {
        return mining == Mining.BATCH_HARD ? "Triplet Loss (batch hard)" : "Triplet Loss (semi-hard)";
    }

    /** {@code m + 2}: a positive at distance 2 and a negative at 0. */
    @Override
    public double maxBatchMean(int batchSize) {
        return margin + 2;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TripletLossConfig c && c.margin == margin && c.mining == mining;
    }

    @Override
    public int hashCode() {
        return Objects.hash(margin, mining);
    }

    @Override
    public String toString() {
        return "TripletLossConfig{margin=" + margin + ", mining=" + mining + '}';
    }

    /** Validating builder. */
    public static final class Builder {
        private double margin = 0.2;
        private Mining mining = Mining.BATCH_HARD;

        private Builder() {
        }

        /** {@code m > 0}; default 0.2. */
        public Builder margin(double m) {
            this.margin = m;
            return this;
        }

        /** Default {@link Mining#BATCH_HARD}. */
        public Builder mining(Mining mining) {
            this.mining = mining;
            return this;
        }

        /** Validates and builds. */
        public TripletLossConfig build() {
            return new TripletLossConfig(margin, mining);
        }
    }

    /** Each active triplet adds {@code +w} to {@code dL/dd_ip} and {@code -w} to {@code dL/dd_in}. */
    private record Terms(double margin, Mining mining) implements PairwiseEngine.DistanceTerms {

        @Override
        public void evaluate(PairwiseEngine.Pairs pairs, double[] loss, double[] gradD, double[] gradS) {
            int b = pairs.size();
            for (int i = 0; i < b; i++) {
                loss[i] = mining == Mining.BATCH_HARD ? batchHard(pairs, i, gradD) : semiHard(pairs, i, gradD);
            }
        }

        private double batchHard(PairwiseEngine.Pairs pairs, int i, double[] gradD) {
            int b = pairs.size();
            long id = pairs.id(i);
            int hardestPos = -1;
            int hardestNeg = -1;
            for (int j = 0; j < b; j++) {
                double d = pairs.distance(i, j);
                if (pairs.id(j) == id) {
                    if (j != i && (hardestPos < 0 || d > pairs.distance(i, hardestPos))) {
                        hardestPos = j;
                    }
                } else if (hardestNeg < 0 || d < pairs.distance(i, hardestNeg)) {
                    hardestNeg = j;
                }
            }
            if (hardestPos < 0 || hardestNeg < 0) {
                return 0;
            }
            double hinge = margin + pairs.distance(i, hardestPos) - pairs.distance(i, hardestNeg);
            if (!(hinge > 0)) {
                return 0;
            }
            if (gradD != null) {
                gradD[i * b + hardestPos] += 1;
                gradD[i * b + hardestNeg] -= 1;
            }
            return hinge;
        }

        private double semiHard(PairwiseEngine.Pairs pairs, int i, double[] gradD) {
            int b = pairs.size();
            long id = pairs.id(i);
            int positives = pairs.positives(i);
            if (positives == 0 || pairs.negatives(i) == 0) {
                return 0;
            }
            double sum = 0;
            for (int p = 0; p < b; p++) {
                if (p == i || pairs.id(p) != id) {
                    continue;
                }
                double dp = pairs.distance(i, p);
                int semiHard = -1;
                int farthest = -1;
                for (int k = 0; k < b; k++) {
                    if (pairs.id(k) == id) {
                        continue;
                    }
                    double dk = pairs.distance(i, k);
                    if (dk > dp && (semiHard < 0 || dk < pairs.distance(i, semiHard))) {
                        semiHard = k;
                    }
                    if (farthest < 0 || dk > pairs.distance(i, farthest)) {
                        farthest = k;
                    }
                }
                int n = semiHard >= 0 ? semiHard : farthest;
                double hinge = margin + dp - pairs.distance(i, n);
                if (hinge > 0) {
                    sum += hinge;
                    if (gradD != null) {
                        gradD[i * b + p] += 1.0 / positives;
                        gradD[i * b + n] -= 1.0 / positives;
                    }
                }
            }
            return sum / positives;
        }
    }
}
