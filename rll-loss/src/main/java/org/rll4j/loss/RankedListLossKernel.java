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
 *       {@code d_ij = sqrt(max(0, G_ii + G_jj - 2 G_ij))}, so {@code d_ii = 0};</li>
 *   <li>per query, over the {@code B x B} pairs: the violating sets by strict comparison against
 *       {@code alpha - m} and {@code alpha}; the normalised weights as a softmax of
 *       {@code T_p (d - (alpha - m))} resp. {@code T_n (alpha - d)} over the violating set, with the
 *       set's maximum exponent subtracted (every exponential is at most 1, the normaliser at least 1;
 *       no epsilon); {@code L(i) = L_P(i) + lambda L_N(i)}, 0 for empty sets;</li>
 *   <li>backward (optional): {@code M_ij = dL(i)/dd_ij} is {@code W+_ij} resp. {@code -lambda W-_ij}
 *       with constant weights, and {@code W+_ij (1 + T_p (h_ij - L_P(i)))} resp.
 *       {@code -lambda W-_ij (1 + T_n (h_ij - L_N(i)))} when the gradient flows through the weights
 *       (h the hinge); then {@code dS/de_k = sum_j c_kj (e_k - e_j)} with
 *       {@code c_kj = (M_kj + M_jk) / d_kj}, i.e. one more GEMM, {@code rowsum(C) * E - C E}, and the
 *       normalisation's backward pass. A pair at distance 0 contributes no gradient (the derivative of
 *       the distance is undefined there).</li>
 * </ol>
 * The gradient returned is that of the <b>sum</b> {@code S = sum_i L(i)} with respect to {@code X}, as
 * DL4J's loss functions return it (DL4J divides by the batch size in the updater). Only the two GEMMs
 * run on the ND4J backend; everything else is a pass over primitive arrays, because at these sizes
 * ND4J's per-op and allocation overheads, not arithmetic, set the cost.
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

    /** Squared distances below this are recomputed in double when the Gram matrix is FLOAT. */
    private static final double REFINE_BELOW = 1e-2;
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
            double[] d = distances(DenseRows.read(Nd4j.gemm(eArr, eArr, false, true)), e, ids, cfg, b, dim, gemmType);
            double[] grad = forwardBackward(d, ids, cfg, loss, withGradient ? eArr : null, e, b, dim);
            if (grad == null) {
                return new Result(loss, null);
            }
            L2Rows.backprop(e, norms, grad, b, dim);
            DenseRows.fill(gradOut, grad);
        }
        return new Result(loss, x.dataType() == gemmType ? gradOut : gradOut.castTo(x.dataType()));
    }

    /**
     * {@code d_ij} from the Gram matrix, for the pairs that can violate; {@code NaN} (which fails
     * every comparison, so the pair never violates) for pairs that certainly cannot, which spares
     * their square root. A FLOAT Gram matrix resolves {@code d^2} only to about 1e-7, a large
     * relative error for close pairs: those ({@code d^2 < 0.01}) are recomputed in double from the
     * coordinates.
     */
    private static double[] distances(double[] g, double[] e, long[] ids, RankedListLossConfig cfg, int b, int dim,
                                      DataType gemmType) {
        boolean refine = gemmType != DataType.DOUBLE;
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
                    if (refine && sq < REFINE_BELOW) {
                        sq = 0;
                        for (int k = 0; k < dim; k++) {
                            double diff = e[i * dim + k] - e[j * dim + k];
                            sq += diff * diff;
                        }
                    }
                    dij = sq <= 0 ? 0 : Math.sqrt(sq);
                }
                d[i * b + j] = dij;
                d[j * b + i] = dij;
            }
        }
        return d;
    }

    /**
     * Fills {@code loss} with {@code L(i)}; when {@code eArr} is given, returns {@code dS/dE} (row-major).
     */
    private static double[] forwardBackward(double[] d, long[] ids, RankedListLossConfig cfg, double[] loss,
                                            INDArray eArr, double[] e, int b, int dim) {
        boolean withGradient = eArr != null;
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

        double[] c = new double[b * b];
        double[] rowSum = new double[b];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                double dij = d[i * b + j];
                if (dij > 0) {
                    double cij = (m[i * b + j] + m[j * b + i]) / dij;
                    c[i * b + j] = cij;
                    rowSum[i] += cij;
                }
            }
        }
        double[] grad = DenseRows.read(Nd4j.gemm(DenseRows.write(c, eArr.dataType(), b, b), eArr, false, false));
        for (int i = 0; i < b; i++) {
            int off = i * dim;
            for (int k = 0; k < dim; k++) {
                grad[off + k] = rowSum[i] * e[off + k] - grad[off + k];
            }
        }
        return grad;
    }
}
