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
 * The one place where the Ranked List Loss and its gradient are computed. Definitions, symbols and
 * citations are on {@link RankedListLossConfig}.
 *
 * <p>Input: the raw embeddings {@code X [B, D]} and class ids. Work, in double precision whatever the
 * network's data type:
 * <ol>
 *   <li>{@code E = normalize(X)} and a finiteness check in the same pass ({@link L2Rows});</li>
 *   <li>one GEMM on the ND4J backend for the Gram matrix {@code G = E E^T}, then
 *       {@code d_ij = sqrt(max(0, G_ii + G_jj - 2 G_ij))}, so {@code d_ii = 0}. <i>Close pairs</i>, those
 *       with {@code G_ii + G_jj - 2 G_ij < 0.01} ({@code d < 0.1}), in FLOAT and DOUBLE alike, instead get
 *       {@code d_ij = ||e_i - e_j||} with the difference computed from the raw rows in double-double
 *       arithmetic ({@link L2Rows.Differences}, relative error a few 1e-16 however small {@code d}). The
 *       Gram form's {@code d^2} has an absolute error of a few {@code eps} (6e-8 in FLOAT, 1.1e-16 in
 *       DOUBLE; the Gram entries are at most 1), a relative error of about {@code eps / d^2} in {@code d}:
 *       at most about 1e-5 resp. 1e-14 for the pairs it keeps. One threshold for both types: DOUBLE
 *       would tolerate a lower one, but close pairs are rare and one code path is easier to trust;</li>
 *   <li>per query, over the {@code B x B} pairs: the violating sets by strict comparison against
 *       {@code alpha - m} and {@code alpha}; the normalised weights as a softmax of
 *       {@code T_p (d - (alpha - m))} resp. {@code T_n (alpha - d)} over the violating set, with the
 *       set's maximum exponent subtracted (every exponential is at most 1, the normaliser at least 1;
 *       no epsilon); {@code L(i) = L_P(i) + lambda L_N(i)}, 0 for empty sets;</li>
 *   <li>backward (optional): {@code M_ij = dL(i)/dd_ij} is {@code W+_ij} resp. {@code -lambda W-_ij}
 *       with constant weights, and {@code W+_ij (1 + T_p (h_ij - L_P(i)))} resp.
 *       {@code -lambda W-_ij (1 + T_n (h_ij - L_N(i)))} when the gradient flows through the weights
 *       (h the hinge); then {@code dS/de_k = sum_j c_kj (e_k - e_j)} with
 *       {@code c_kj = (M_kj + M_jk) / d_kj}, and the normalisation's backward pass. The sum is split:
 *       <pre>
 *   dS/de_k = rowsum(C) e_k - (C E)_k  +  sum_{j close to k} c_kj (e_k - e_j)
 *       </pre>
 *       where {@code C} holds the coefficients of the other pairs only (one more GEMM, in the network's
 *       data type, {@code |c| <= 10 |M_kj + M_jk|}), and each close pair's term is computed in double
 *       from its double-double difference. Through the GEMM, a close pair's {@code c ~ 1/d} would cancel
 *       between {@code rowsum(C) e_k} and {@code (C E)_k} and leave an error of about
 *       {@code eps |M| / d} (4-12% of max |g| at {@code d = 5e-7} in FLOAT, see NearDuplicateGradientTest); this way the error
 *       stays at the GEMM's rounding over the other pairs, about {@code 10 eps sum_j |M_kj + M_jk|}.
 *       A pair at distance 0 contributes no gradient (the derivative of the distance is undefined
 *       there).</li>
 * </ol>
 * The gradient returned is that of the <b>sum</b> {@code S = sum_i L(i)} with respect to {@code X}, as
 * DL4J's loss functions return it (DL4J divides by the batch size in the updater). Only the two GEMMs
 * run on the ND4J backend; everything else is a pass over primitive arrays, because at these sizes
 * ND4J's per-op and allocation overheads, not arithmetic, set the cost. Close pairs cost {@code O(D)}
 * each, twice with the gradient: nothing in ordinary batches, where they are rare, but a collapsed batch
 * (all pairs close) at B = 180, D = 512 takes about 17-21 ms instead of the GEMM path's 7-8 ms.
 */
final class RankedListLossKernel {

    /** Per-query losses and, if requested, {@code dS/dE}. */
    record Result(double[] perQuery, INDArray gradient) {

        double sum() {
            double s = 0;
            for (double v : perQuery) {
                s += v;
            }
            return s;
        }
    }

    /** Pairs whose Gram squared distance is below this are close pairs (see the class comment). */
    private static final double CLOSE_BELOW = 1e-2;
    /** Margin on squared distances for skipping pairs that cannot violate (Gram rounding is ~1e-7). */
    private static final double SQ_SLACK = 1e-4;
    private static final String WORKSPACE_ID = "RLL_KERNEL_WORKSPACE";
    private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.2)
            .policyLearning(LearningPolicy.OVER_TIME)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private RankedListLossKernel() {
    }

    /**
     * @param x raw embeddings {@code [B, D]}, floating point
     * @param ids class id of each row
     * @param cfg hyper-parameters
     * @param withGradient whether to compute {@code dS/dX}
     * @param context who is asking, for error messages
     * @return the losses, and the gradient in the data type of {@code x} (or null)
     * @throws NonFiniteEmbeddingException when {@code x} holds NaN or infinity
     */
    static Result compute(INDArray x, long[] ids, RankedListLossConfig cfg, boolean withGradient, String context) {
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
        double[] loss = new double[b];
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, WORKSPACE_ID)) {
            INDArray eArr = DenseRows.write(e, gemmType, b, dim);
            L2Rows.Differences diffs = new L2Rows.Differences(xs, norms, dim);
            Pairs pairs = distances(DenseRows.read(Nd4j.gemm(eArr, eArr, false, true)), diffs, ids, cfg, b);
            double[] grad = forwardBackward(pairs, ids, cfg, loss, withGradient ? eArr : null, e, diffs, b, dim);
            if (grad == null) {
                return new Result(loss, null);
            }
            L2Rows.backprop(e, norms, grad, b, dim);
            DenseRows.fill(gradOut, grad);
        }
        return new Result(loss, x.dataType() == gemmType ? gradOut : gradOut.castTo(x.dataType()));
    }

    /**
     * Distances {@code d [B x B]} and which pairs are close ({@code close [B x B]}, symmetric).
     */
    private record Pairs(double[] d, boolean[] close) {
    }

    /**
     * {@code d_ij} from the Gram matrix, for the pairs that can violate; {@code NaN} (which fails
     * every comparison, so the pair never violates) for pairs that certainly cannot, which spares
     * their square root. Close pairs ({@code d^2 < 0.01} by the Gram matrix) that can violate get their
     * distance from the double-double difference of their rows instead, and are marked close.
     */
    private static Pairs distances(double[] g, L2Rows.Differences diffs, long[] ids, RankedListLossConfig cfg,
                                   int b) {
        boolean[] close = new boolean[b * b];
        // Squared-distance bounds beyond which a pair cannot violate, widened by far more than the
        // Gram matrix's rounding error; the exact strict comparisons on d happen later.
        double posSkipBelow = cfg.positiveBoundary() * cfg.positiveBoundary() - SQ_SLACK;
        double negSkipAbove = cfg.alpha() * cfg.alpha() + SQ_SLACK;
        double[] d = new double[b * b];
        for (int i = 0; i < b; i++) {
            double gii = g[i * b + i];
            long id = ids[i];
            for (int j = i + 1; j < b; j++) { // d is symmetric: compute the upper triangle, mirror it
                double sq = gii + g[j * b + j] - 2 * g[i * b + j];
                double dij;
                if (ids[j] == id ? sq <= posSkipBelow : sq >= negSkipAbove) {
                    dij = Double.NaN;
                } else {
                    if (sq < CLOSE_BELOW) {
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
        return new Pairs(d, close);
    }

    /**
     * Fills {@code loss} with {@code L(i)}; when {@code eArr} is given, returns {@code dS/dE} (row-major).
     */
    private static double[] forwardBackward(Pairs pairs, long[] ids, RankedListLossConfig cfg, double[] loss,
                                            INDArray eArr, double[] e, L2Rows.Differences diffs, int b, int dim) {
        boolean withGradient = eArr != null;
        double[] d = pairs.d();
        double alpha = cfg.alpha();
        double posBoundary = cfg.positiveBoundary();
        double tn = cfg.tn();
        double tp = cfg.tp();
        double lambda = cfg.lambda();
        boolean flow = cfg.weightGradient() == RankedListLossConfig.WeightGradient.FLOW;

        double[] m = withGradient ? new double[b * b] : null;   // M_ij = dL(i)/dd_ij
        double[] w = new double[b];                             // scratch: per-query weights
        for (int i = 0; i < b; i++) {
            int row = i * b;
            long id = ids[i];
            // Maximum exponent of each violating set (the softmax shift).
            double maxPos = Double.NEGATIVE_INFINITY;
            double maxNeg = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < b; j++) {
                double dij = d[row + j];
                if (ids[j] == id) {
                    if (j != i && dij > posBoundary) {
                        maxPos = Math.max(maxPos, tp * (dij - posBoundary));
                    }
                } else if (dij < alpha) {
                    maxNeg = Math.max(maxNeg, tn * (alpha - dij));
                }
            }
            double zPos = 0;
            double zNeg = 0;
            double sumPos = 0;
            double sumNeg = 0;
            for (int j = 0; j < b; j++) {
                double dij = d[row + j];
                w[j] = 0;
                if (ids[j] == id) {
                    if (j != i && dij > posBoundary) {
                        double h = dij - posBoundary;
                        w[j] = Math.exp(tp * h - maxPos);
                        zPos += w[j];
                        sumPos += w[j] * h;
                    }
                } else if (dij < alpha) {
                    double h = alpha - dij;
                    w[j] = Math.exp(tn * h - maxNeg);
                    zNeg += w[j];
                    sumNeg += w[j] * h;
                }
            }
            double lossP = zPos > 0 ? sumPos / zPos : 0;
            double lossN = zNeg > 0 ? sumNeg / zNeg : 0;
            loss[i] = lossP + lambda * lossN;
            if (m == null) {
                continue;
            }
            for (int j = 0; j < b; j++) {
                if (w[j] == 0) {
                    continue;
                }
                double dij = d[row + j];
                if (ids[j] == id) {
                    double wn = w[j] / zPos;
                    m[row + j] = flow ? wn * (1 + tp * ((dij - posBoundary) - lossP)) : wn;
                } else {
                    double wn = w[j] / zNeg;
                    m[row + j] = flow ? -lambda * wn * (1 + tn * ((alpha - dij) - lossN)) : -lambda * wn;
                }
            }
        }
        if (m == null) {
            return null;
        }

        boolean[] close = pairs.close();
        double[] c = new double[b * b];
        double[] rowSum = new double[b];
        double[] direct = null; // sum over close pairs of c_ij (e_i - e_j), in double
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                double dij = d[i * b + j];
                if (!(dij > 0)) {
                    continue;
                }
                double cij = (m[i * b + j] + m[j * b + i]) / dij;
                if (!close[i * b + j]) {
                    c[i * b + j] = cij;
                    rowSum[i] += cij;
                } else if (j > i && cij != 0) { // c is symmetric: pair (j, i) gets -c_ij (e_i - e_j) here
                    if (direct == null) {
                        direct = new double[b * dim];
                    }
                    diffs.addScaled(i, j, cij, direct);
                }
            }
        }
        double[] grad = DenseRows.read(Nd4j.gemm(DenseRows.write(c, eArr.dataType(), b, b), eArr, false, false));
        for (int i = 0; i < b; i++) {
            int off = i * dim;
            for (int k = 0; k < dim; k++) {
                grad[off + k] = rowSum[i] * e[off + k] - grad[off + k] + (direct == null ? 0 : direct[off + k]);
            }
        }
        return grad;
    }
}
