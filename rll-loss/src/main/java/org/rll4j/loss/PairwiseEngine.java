package org.rll4j.loss;

import java.util.Arrays;
import java.util.Locale;

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
 * <p><b>Cross-batch memory.</b> With a {@link CrossBatchMemory} of {@code M} stored rows {@code m_j} (constants),
 * the queries stay the batch and the gallery becomes the batch followed by the memory: the pair matrices are
 * {@code B x (B + M)}, row-major, with the memory's pairs in columns {@code B ..}. Their similarities come from a
 * second GEMM {@code E m^T} ({@code B x M}), their distances from {@code G_ii + ||m_j||^2 - 2 (E m^T)_ij} (close
 * pairs from the double-double query row minus the stored row), and their part of the backward pass is one-sided,
 * {@code c_ij = M_ij / d_ij} (only query {@code i}'s loss holds the pair, and {@code m_j} gets no gradient), through
 * one more {@code B x M} GEMM: {@code dS/de_i += rowsum(C_m) e_i - ((C_m - S_m) m)_i}. With no memory (or an empty
 * one) every step is the in-batch computation above, bit for bit. Only losses that say so
 * ({@link PairTerms#acceptsMemory()}) take a memory.
 *
 * <p>The gradient returned is that of the <b>sum</b> {@code S = sum_i L(i)} with respect to {@code X}, as
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
         * Whether the loss is defined per query over any gallery, so that {@link Pairs#gallerySize()} may exceed the
         * batch (a {@link CrossBatchMemory}); then {@link #evaluate} must read columns {@code 0 .. gallerySize()-1},
         * and {@link #mayContribute} is also asked for (query, memory entry) pairs.
         */
        default boolean acceptsMemory() {
            return false;
        }

        /**
         * Computes {@code L(i)} into {@code loss}; with {@code gradD} / {@code gradS} (zero-filled,
         * row-major {@code B x N}, N the gallery size; null when no gradient is wanted, or when the loss does not
         * use distances resp. similarities) adds {@code dL(i)/dd_ij} resp. {@code dL(i)/ds_ij} at {@code [i * N + j]}.
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

    /**
     * The pairs of the batch's queries with the gallery, row-major {@code B x N}: the gallery is the batch (items
     * {@code 0 .. B-1}, item {@code i} being query {@code i}) followed by the memory's entries, if any.
     */
    static final class Pairs {
        private final int size;
        private final int gallery;
        private final long[] ids;
        private final double[] d;
        private final double[] s;
        private int[] positives;           // counted on first use: not every loss needs them

        Pairs(int size, int gallery, long[] ids, double[] d, double[] s) {
            this.size = size;
            this.gallery = gallery;
            this.ids = ids;
            this.d = d;
            this.s = s;
        }

        /** Batch size B, the number of queries. */
        int size() {
            return size;
        }

        /** N, the gallery size: B plus the memory's entries. */
        int gallerySize() {
            return gallery;
        }

        /** Class id of gallery item {@code j} (for {@code j < B}, of example {@code j}). */
        long id(int j) {
            return ids[j];
        }

        /** {@code d_ij} (0 on the diagonal; NaN for pairs the loss said cannot contribute). */
        double distance(int i, int j) {
            return d[i * gallery + j];
        }

        /** {@code s_ij = e_i . e_j}. */
        double similarity(int i, int j) {
            return s[i * gallery + j];
        }

        /** {@code |P_i|}: the other items of {@code i}'s class in the gallery. */
        int positives(int i) {
            if (positives == null) {
                positives = new int[size];
                for (int a = 0; a < size; a++) {
                    for (int b = 0; b < gallery; b++) {
                        positives[a] += b != a && ids[b] == ids[a] ? 1 : 0;
                    }
                }
            }
            return positives[i];
        }

        /** {@code |N_i|}: the gallery items of other classes. */
        int negatives(int i) {
            return gallery - 1 - positives(i);
        }
    }

    /**
     * Per-query losses and, if requested, {@code dS/dX}; the embeddings the loss read ({@code E}, row-major
     * {@code B x D}, L2-normalised unless the loss reads raw rows) and the class ids, e.g. for a memory to keep.
     */
    record Result(double[] perQuery, INDArray gradient, double[] embeddings, long[] ids) {

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
        return compute(x, ids, terms, withGradient, context, null);
    }

    /**
     * {@link #compute(INDArray, long[], PairTerms, boolean, String)} over the gallery of the batch followed by a
     * cross-batch memory (see the class comment).
     *
     * @param memory the memory's entries as extra gallery items, or null (or empty) for the batch alone
     * @throws UnsupportedOperationException when the memory holds entries and the loss does not accept a memory
     * @throws IllegalArgumentException when the memory's width is not the batch's
     */
    static Result compute(INDArray x, long[] ids, PairTerms terms, boolean withGradient, String context,
                          CrossBatchMemory memory) {
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
        int m = memory == null ? 0 : memory.size();
        if (m > 0) {
            if (!terms.acceptsMemory()) {
                throw new UnsupportedOperationException(context + " does not take a cross-batch memory; the Ranked List "
                        + "Loss does");
            }
            if (memory.dimension() != dim) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: the cross-batch memory holds embeddings "
                        + "of width %d, the batch's are %d wide", context, memory.dimension(), dim));
            }
        }
        int n = b + m;
        double[] loss = new double[b];
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, WORKSPACE_ID)) {
            INDArray eArr = DenseRows.write(e, gemmType, b, dim);
            L2Rows.Differences diffs = normalizes ? new L2Rows.Differences(xs, norms, dim) : L2Rows.Differences.ofRawRows(xs, b, dim);
            INDArray stored = m == 0 ? null : memory.rows();
            INDArray mArr = stored == null || stored.dataType() == gemmType ? stored : stored.castTo(gemmType);
            double[] g = gram(eArr, mArr, b, m);
            long[] galleryIds = m == 0 ? ids : galleryIds(ids, memory);
            boolean[] close = terms.usesDistances() ? new boolean[b * n] : null;
            double[] d = null;
            if (terms.usesDistances()) {
                d = new double[b * n];
                distances(g, diffs, ids, terms, close, b, n, d);
                if (m > 0) {
                    memoryDistances(g, diffs, memory, ids, terms, close, b, n, d);
                }
            }
            Pairs pairs = new Pairs(b, n, galleryIds, d, g);
            double[] gradD = withGradient && d != null ? new double[b * n] : null;
            double[] gradS = withGradient && terms.usesSimilarities() ? new double[b * n] : null;
            terms.evaluate(pairs, loss, gradD, gradS);
            if (!withGradient) {
                return new Result(loss, null, e, ids);
            }
            double[] grad = backward(d, close, gradD, gradS, eArr, e, diffs, b, n, dim);
            if (m > 0) {
                memoryBackward(d, close, gradD, gradS, mArr, e, memory, diffs, b, n, dim, grad);
            }
            if (normalizes) {
                L2Rows.backprop(e, norms, grad, b, dim);
            }
            DenseRows.fill(gradOut, grad);
        }
        return new Result(loss, x.dataType() == gemmType ? gradOut : gradOut.castTo(x.dataType()), e, ids);
    }

    /** The similarities {@code B x N}: {@code E E^T} for the batch's columns, {@code E m^T} for the memory's. */
    private static double[] gram(INDArray eArr, INDArray mArr, int b, int m) {
        if (m == 0) {
            return DenseRows.read(Nd4j.gemm(eArr, eArr, false, true));
        }
        int n = b + m;
        double[] g = new double[b * n];
        DenseRows.readInto(Nd4j.gemm(eArr, eArr, false, true), g, 0, n);
        DenseRows.readInto(Nd4j.gemm(eArr, mArr, false, true), g, b, n);
        return g;
    }

    private static long[] galleryIds(long[] ids, CrossBatchMemory memory) {
        long[] all = Arrays.copyOf(ids, ids.length + memory.size());
        for (int j = 0; j < memory.size(); j++) {
            all[ids.length + j] = memory.id(j);
        }
        return all;
    }

    /**
     * {@code d_ij} from the Gram matrix, for the pairs that may contribute; NaN for the others. Close pairs
     * ({@code d^2 < 0.01 max(G_ii, G_jj)} by the Gram matrix) get their distance from the double-double difference of their
     * rows instead, and are marked in {@code close} (symmetric).
     */
    private static void distances(double[] g, L2Rows.Differences diffs, long[] ids, PairTerms terms, boolean[] close,
                                  int b, int n, double[] d) {
        for (int i = 0; i < b; i++) {
            double gii = g[i * n + i];
            long id = ids[i];
            for (int j = i + 1; j < b; j++) { // d is symmetric: compute the upper triangle, mirror it
                double sq = gii + g[j * n + j] - 2 * g[i * n + j];
                double dij;
                if (!terms.mayContribute(ids[j] == id, sq)) {
                    dij = Double.NaN;
                } else {
                    if (sq < CLOSE_BELOW * Math.max(gii, g[j * n + j])) {
                        sq = diffs.squaredDistance(i, j);
                        close[i * n + j] = true;
                        close[j * n + i] = true;
                    }
                    dij = sq <= 0 ? 0 : Math.sqrt(sq);
                }
                d[i * n + j] = dij;
                d[j * n + i] = dij;
            }
        }
    }

    /** {@code d_ij} of query {@code i} and memory entry {@code j} (column {@code B + j}), as {@link #distances}. */
    private static void memoryDistances(double[] g, L2Rows.Differences diffs, CrossBatchMemory memory, long[] ids,
                                        PairTerms terms, boolean[] close, int b, int n, double[] d) {
        for (int i = 0; i < b; i++) {
            double gii = g[i * n + i];
            long id = ids[i];
            for (int j = b; j < n; j++) {
                int slot = j - b;
                double mjj = memory.squaredNorm(slot);
                double sq = gii + mjj - 2 * g[i * n + j];
                double dij;
                if (!terms.mayContribute(memory.id(slot) == id, sq)) {
                    dij = Double.NaN;
                } else {
                    if (sq < CLOSE_BELOW * Math.max(gii, mjj)) {
                        sq = diffs.squaredDistanceTo(i, memory.row(slot));
                        close[i * n + j] = true;
                    }
                    dij = sq <= 0 ? 0 : Math.sqrt(sq);
                }
                d[i * n + j] = dij;
            }
        }
    }

    /** {@code dS/dE} (row-major) from the per-pair derivatives; see the class comment. */
    private static double[] backward(double[] d, boolean[] close, double[] gradD, double[] gradS, INDArray eArr, double[] e,
                                     L2Rows.Differences diffs, int b, int n, int dim) {
        double[] c = new double[b * b];                 // C - S - S^T, the GEMM's matrix
        double[] rowSum = new double[b];
        double[] direct = null;                         // sum over close pairs of c_ij (e_i - e_j), in double
        boolean any = false;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                int ij = i * n + j;
                double v = gradS == null ? 0 : -(gradS[ij] + gradS[j * n + i]);
                if (gradD != null) {
                    double dij = d[ij];
                    if (dij > 0) {
                        double cij = (gradD[ij] + gradD[j * n + i]) / dij;
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
                c[i * b + j] = v;
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

    /**
     * Adds the memory's one-sided part to {@code grad} ({@code dS/dE}, row-major): {@code rowsum(C_m) e_i - ((C_m - S_m)
     * m)_i} through one {@code B x M} GEMM, with each close pair's {@code c_ij (e_i - m_j)} in double instead (see the
     * class comment).
     */
    private static void memoryBackward(double[] d, boolean[] close, double[] gradD, double[] gradS, INDArray mArr,
                                       double[] e, CrossBatchMemory memory, L2Rows.Differences diffs, int b, int n, int dim,
                                       double[] grad) {
        int m = n - b;
        INDArray c = Nd4j.createUninitialized(mArr.dataType(), b, m);   // C_m - S_m, written row by row
        double[] row = new double[m];
        double[] rowSum = new double[b];
        boolean any = false;
        for (int i = 0; i < b; i++) {
            for (int j = b; j < n; j++) {
                int ij = i * n + j;
                double v = gradS == null ? 0 : -gradS[ij];
                if (gradD != null) {
                    double dij = d[ij];
                    if (dij > 0 && gradD[ij] != 0) {
                        double cij = gradD[ij] / dij;
                        if (!close[ij]) {
                            v += cij;
                            rowSum[i] += cij;
                        } else {
                            diffs.addScaledTo(i, memory.row(j - b), cij, grad);
                        }
                    }
                }
                row[j - b] = v;
                any |= v != 0;
            }
            DenseRows.writeRow(c, i, row);
        }
        if (!any) {
            return;
        }
        double[] cm = DenseRows.read(Nd4j.gemm(c, mArr, false, false));
        for (int i = 0; i < b; i++) {
            int off = i * dim;
            for (int k = 0; k < dim; k++) {
                grad[off + k] += rowSum[i] * e[off + k] - cm[off + k];
            }
        }
    }
}
