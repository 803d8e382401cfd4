package org.rll4j.loss;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What every pair-based metric-learning loss shares: the L2 normalisation, the batch's pairwise distances
 * and similarities from one GEMM, and the backward pass from the loss's per-pair derivatives to
 * the raw embeddings. A loss ({@link PairTerms}) only turns the pairs into per-query losses and, for the
 * gradient, {@code dL(i)/dd_ij} and/or {@code dL(i)/ds_ij}.
 *
 * <p>Input: the raw embeddings {@code X [B, D]} and class ids. Work, in double precision whatever the
 * network's data type:
 * <ol>
 *   <li>{@code E = normalize(X)} and a finiteness check in the same pass ({@link L2Rows}); for a loss defined
 *       on the raw embeddings ({@link PairTerms#normalizes()} false) only the check, and {@code E = X}: its
 *       similarities are dot products and its distances Euclidean distances of the raw rows;</li>
 *   <li>one GEMM on the ND4J backend for the Gram matrix {@code G = E E^T}: the similarities
 *       {@code s_ij = G_ij}, and (for losses that read distances) {@code d_ij = sqrt(max(0, G_ii + G_jj -
 *       2 G_ij))}, so {@code d_ii = 0}. <i>Close pairs</i>, those with {@code G_ii + G_jj - 2 G_ij < 0.01
 *       max(G_ii, G_jj)} ({@code d < 0.1} on unit rows; the Gram form's error scales with the squared norms), in
 *       FLOAT and DOUBLE alike, instead get {@code d_ij = ||e_i - e_j||} with the
 *       difference computed from the raw rows in double-double arithmetic ({@link L2Rows.Differences},
 *       relative error a few 1e-16 however small {@code d}). The Gram form's {@code d^2} has an absolute
 *       error of a few {@code eps} (6e-8 in FLOAT, 1.1e-16 in DOUBLE; the Gram entries are at most 1), a
 *       relative error of about {@code eps / d^2} in {@code d}: at most about 1e-5 resp. 1e-14 for the pairs
 *       it keeps. Pairs the loss declares unable to contribute ({@link PairTerms#mayContribute}) get
 *       {@code d = NaN} (which fails every comparison), which spares their square root;</li>
 *   <li>the loss's terms: {@code L(i)}, and {@code M_ij = dL(i)/dd_ij}, {@code S_ij = dL(i)/ds_ij};</li>
 *   <li>backward: {@code dS/de_k = sum_j c_kj (e_k - e_j) - sum_j (S_kj + S_jk) e_j} with
 *       {@code c_kj = (M_kj + M_jk) / d_kj}, and the normalisation's backward pass. The distance sum is
 *       split:
 *       <pre>
 *   dS/de_k = rowsum(C) e_k - ((C - S - S^T) E)_k  +  sum_{j close to k} c_kj (e_k - e_j)
 *       </pre>
 *       where {@code C} holds the coefficients of the other pairs only (one more GEMM, in the network's
 *       data type), and each close pair's term is computed in double from its double-double difference.
 *       Through the GEMM, a close pair's {@code c ~ 1/d} would cancel between {@code rowsum(C) e_k} and
 *       {@code (C E)_k} and leave an error of about {@code eps |M| / d} (4-12% of max |g| at
 *       {@code d = 5e-7} in FLOAT, see NearDuplicateGradientTest); this way the error stays at the GEMM's
 *       rounding over the other pairs. A pair at distance 0 contributes no distance gradient (the
 *       derivative of the distance is undefined there); similarities have no such point. Last, the
 *       normalisation's backward pass, unless the loss reads the raw rows.</li>
 * </ol>
 * The gradient returned is that of the <b>sum</b> {@code S = sum_i L(i)} with respect to {@code X}, as
 * DL4J's loss functions return it (DL4J divides by the batch size in the updater). Only the two GEMMs run
 * on the ND4J backend; everything else is a pass over primitive arrays, because at these sizes ND4J's
 * per-op and allocation overheads, not arithmetic, set the cost.
 */
final class PairwiseEngine {

    /** A loss as functions of the batch's pairs. Implementations are stateless (or immutable) and thread-safe. */
    interface PairTerms {

        /** Whether {@link Pairs#distance} is read; if not, no distance is computed. */
        boolean usesDistances();

        /** Whether the loss has derivatives with respect to similarities ({@code gradS} is given to it). */
        boolean usesSimilarities();

        /**
         * Whether the loss reads the L2-normalised embeddings (distances in [0, 2], similarities the cosines), as
         * every loss does by default; false for a loss its paper defines on the raw embeddings (distances and dot
         * products of the raw rows, {@code s_ii = ||x_i||^2}).
         */
        default boolean normalizes() {
            return true;
        }

        /**
         * Whether a pair can contribute to the loss or its gradient; if not, its distance is not computed and
         * reads NaN. Called for {@code i < j} only, so the answer must be symmetric. A loose bound is fine: the
         * loss still makes its own exact comparisons.
         *
         * @param sameClass whether the two examples share a class
         * @param squaredDistance the Gram form's {@code d^2} (within a few 1e-7 of the true value)
         */
        default boolean mayContribute(boolean sameClass, double squaredDistance) {
            return true;
        }

        /**
         * Computes {@code L(i)} into {@code loss}; with {@code gradD} / {@code gradS} (zero-filled,
         * row-major {@code B x B}; null when no gradient is wanted, or when the loss does not use distances
         * resp. similarities) adds {@code dL(i)/dd_ij} resp. {@code dL(i)/ds_ij} at {@code [i * B + j]}.
         */
        void evaluate(Pairs pairs, double[] loss, double[] gradD, double[] gradS);
    }

    /** A loss that reads distances only. */
    interface DistanceTerms extends PairTerms {
        @Override
        default boolean usesDistances() {
            return true;
        }

        @Override
        default boolean usesSimilarities() {
            return false;
        }
    }

    /** A loss that reads similarities only (no distance is computed). */
    interface SimilarityTerms extends PairTerms {
        @Override
        default boolean usesDistances() {
            return false;
        }

        @Override
        default boolean usesSimilarities() {
            return true;
        }
    }

    /** The batch's pairs, row-major {@code B x B}. */
    static final class Pairs {
        private final int size;
        private final long[] ids;
        private final double[] d;
        private final double[] s;
        private int[] positives;           // counted on first use: not every loss needs them

        Pairs(int size, long[] ids, double[] d, double[] s) {
            this.size = size;
            this.ids = ids;
            this.d = d;
            this.s = s;
        }

        /** Batch size B. */
        int size() {
            return size;
        }

        /** Class id of example {@code i}. */
        long id(int i) {
            return ids[i];
        }

        /** {@code d_ij} (0 on the diagonal; NaN for pairs the loss said cannot contribute). */
        double distance(int i, int j) {
            return d[i * size + j];
        }

        /** {@code s_ij = e_i . e_j}. */
        double similarity(int i, int j) {
            return s[i * size + j];
        }

        /** {@code |P_i|}: the other examples of {@code i}'s class. */
        int positives(int i) {
            if (positives == null) {
                positives = new int[size];
                for (int a = 0; a < size; a++) {
                    for (int b = 0; b < size; b++) {
                        positives[a] += b != a && ids[b] == ids[a] ? 1 : 0;
                    }
                }
            }
            return positives[i];
        }

        /** {@code |N_i|}: the examples of other classes. */
        int negatives(int i) {
            return size - 1 - positives(i);
        }
    }

    /** Per-query losses and, if requested, {@code dS/dX}. */
    record Result(double[] perQuery, INDArray gradient) {

        double sum() {
            double s = 0;
            for (double v : perQuery) {
                s += v;
            }
            return s;
        }
    }

    /**
     * Slack on the Gram form's squared distances (whose rounding is about 1e-7) when a hinge loss skips pairs
     * that cannot reach their hinge ({@link #hingesMayContribute}); the loss's exact comparisons happen later.
     */
    private static final double SKIP_SLACK = 1e-4;

    /**
     * {@link PairTerms#mayContribute} of a loss on normalised embeddings whose positives cost only beyond distance
     * {@code positivesBeyond} and whose negatives cost only within distance {@code negativesWithin}, widened by
     * {@link #SKIP_SLACK}.
     */
    static boolean hingesMayContribute(boolean sameClass, double squaredDistance, double positivesBeyond,
                                       double negativesWithin) {
        return sameClass ? squaredDistance > positivesBeyond * positivesBeyond - SKIP_SLACK
                : squaredDistance < negativesWithin * negativesWithin + SKIP_SLACK;
    }

    /** Pairs whose Gram squared distance is below this times the larger squared norm are close pairs (see the class comment). */
    private static final double CLOSE_BELOW = 1e-2;
    private static final String WORKSPACE_ID = "RLL_PAIRWISE_ENGINE_WORKSPACE";
    private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.2)
            .policyLearning(LearningPolicy.OVER_TIME)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private PairwiseEngine() {
    }

    /**
     * @param x raw embeddings {@code [B, D]}, floating point
     * @param ids class id of each row
     * @param terms the loss
     * @param withGradient whether to compute {@code dS/dX}
     * @param context who is asking, for error messages
     * @return the losses, and the gradient in the data type of {@code x} (or null)
     * @throws NonFiniteEmbeddingException when {@code x} holds NaN or infinity
     */
    static Result compute(INDArray x, long[] ids, PairTerms terms, boolean withGradient, String context) {
        int b = (int) x.size(0);
        int dim = (int) x.size(1);
        DataType gemmType = x.dataType() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        // The result lives where the caller allocates (e.g. a DL4J workspace); temporaries in our own.
        INDArray gradOut = withGradient ? Nd4j.createUninitialized(gemmType, b, dim) : null;
        double[] xs = DenseRows.read(x);
        double[] e = new double[b * dim];
        double[] norms = new double[b];
        int bad = L2Rows.normalize(xs, b, dim, e, norms);
        if (bad >= 0) {
            throw NonFiniteEmbeddingException.at(context, xs, b, dim, bad);
        }
        boolean normalizes = terms.normalizes();
        if (!normalizes) {
            e = xs;
        }
        double[] loss = new double[b];
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, WORKSPACE_ID)) {
            INDArray eArr = DenseRows.write(e, gemmType, b, dim);
            L2Rows.Differences diffs = normalizes ? new L2Rows.Differences(xs, norms, dim) : L2Rows.Differences.ofRawRows(xs, b, dim);
            double[] g = DenseRows.read(Nd4j.gemm(eArr, eArr, false, true));
            boolean[] close = terms.usesDistances() ? new boolean[b * b] : null;
            double[] d = terms.usesDistances() ? distances(g, diffs, ids, terms, close, b) : null;
            Pairs pairs = new Pairs(b, ids, d, g);
            double[] gradD = withGradient && d != null ? new double[b * b] : null;
            double[] gradS = withGradient && terms.usesSimilarities() ? new double[b * b] : null;
            terms.evaluate(pairs, loss, gradD, gradS);
            if (!withGradient) {
                return new Result(loss, null);
            }
            double[] grad = backward(d, close, gradD, gradS, eArr, e, diffs, b, dim);
            if (normalizes) {
                L2Rows.backprop(e, norms, grad, b, dim);
            }
            DenseRows.fill(gradOut, grad);
        }
        return new Result(loss, x.dataType() == gemmType ? gradOut : gradOut.castTo(x.dataType()));
    }

    /**
     * {@code d_ij} from the Gram matrix, for the pairs that may contribute; NaN for the others. Close pairs
     * ({@code d^2 < 0.01 max(G_ii, G_jj)} by the Gram matrix) get their distance from the double-double difference of their
     * rows instead, and are marked in {@code close} (symmetric).
     */
    private static double[] distances(double[] g, L2Rows.Differences diffs, long[] ids, PairTerms terms, boolean[] close,
                                      int b) {
        double[] d = new double[b * b];
        for (int i = 0; i < b; i++) {
            double gii = g[i * b + i];
            long id = ids[i];
            for (int j = i + 1; j < b; j++) { // d is symmetric: compute the upper triangle, mirror it
                double sq = gii + g[j * b + j] - 2 * g[i * b + j];
                double dij;
                if (!terms.mayContribute(ids[j] == id, sq)) {
                    dij = Double.NaN;
                } else {
                    if (sq < CLOSE_BELOW * Math.max(gii, g[j * b + j])) {
                        sq = diffs.squaredDistance(i, j);
                        close[i * b + j] = true;
                        close[j * b + i] = true;
                    }
                    dij = sq <= 0 ? 0 : Math.sqrt(sq);
                }
                d[i * b + j] = dij;
                d[j * b + i] = dij;
            }
        }
        return d;
    }

    /** {@code dS/dE} (row-major) from the per-pair derivatives; see the class comment. */
    private static double[] backward(double[] d, boolean[] close, double[] gradD, double[] gradS, INDArray eArr, double[] e,
                                     L2Rows.Differences diffs, int b, int dim) {
        double[] c = new double[b * b];                 // C - S - S^T, the GEMM's matrix
        double[] rowSum = new double[b];
        double[] direct = null;                         // sum over close pairs of c_ij (e_i - e_j), in double
        boolean any = false;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                int ij = i * b + j;
                double v = gradS == null ? 0 : -(gradS[ij] + gradS[j * b + i]);
                if (gradD != null) {
                    double dij = d[ij];
                    if (dij > 0) {
                        double cij = (gradD[ij] + gradD[j * b + i]) / dij;
                        if (!close[ij]) {
                            v += cij;
                            rowSum[i] += cij;
                        } else if (j > i && cij != 0) { // c is symmetric: pair (j, i) gets -c_ij (e_i - e_j) here
                            if (direct == null) {
                                direct = new double[b * dim];
                            }
                            diffs.addScaled(i, j, cij, direct);
                        }
                    }
                }
                c[ij] = v;
                any |= v != 0;
            }
        }
        double[] grad = any ? DenseRows.read(Nd4j.gemm(DenseRows.write(c, eArr.dataType(), b, b), eArr, false, false))
                : new double[b * dim];
        for (int i = 0; i < b; i++) {
            int off = i * dim;
            for (int k = 0; k < dim; k++) {
                grad[off + k] = rowSum[i] * e[off + k] - grad[off + k] + (direct == null ? 0 : direct[off + k]);
            }
        }
        return grad;
    }
}
