package org.rll4j.loss;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Test oracle: the Ranked List Loss written as a SameDiff graph from the formula, so that SameDiff's
 * automatic differentiation gives a gradient derived independently of the hand-derived backward pass
 * in {@link RankedListLossKernel}. (It was the production implementation first; at B = 180 SameDiff's
 * per-op overhead made it about 15x slower than the kernel, see the loss benchmark.)
 *
 * <p>Definitions, symbols and citations are on {@link RankedListLossConfig}. The computation:
 * <ol>
 *   <li>{@code e_i = x_i / max(||x_i||_2, 1e-12)} (L2 normalisation; the clamp only matters for an
 *       all-zero row, as in PyTorch's {@code F.normalize});</li>
 *   <li>squared distances from one GEMM, {@code d2_ij = max(0, ||e_i||^2 + ||e_j||^2 - 2 e_i.e_j)},
 *       and {@code d_ij = sqrt(d2_ij)} with a zero gradient where {@code d2_ij = 0} (the derivative
 *       of sqrt is infinite there: the diagonal and identical embeddings);</li>
 *   <li>masks from labels: same class, minus the diagonal, and the violating sets by strict
 *       comparison against {@code alpha - m} and {@code alpha};</li>
 *   <li>per-query normalised weights as a masked softmax of {@code T (alpha - d)} resp.
 *       {@code T (d - (alpha - m))} over the violating set: the per-query maximum exponent is
 *       subtracted, so every exponential is at most 1 and the normaliser is at least 1 whenever the
 *       set is non-empty; an empty set gives weights 0, no epsilon is added anywhere;</li>
 *   <li>{@code L(i) = L_P(i) + lambda L_N(i)}.</li>
 * </ol>
 * For {@link RankedListLossConfig.WeightGradient#CONSTANT} the weights are computed from
 * {@code stopGradient(d)}, so they are constants for autodiff.
 */
public final class SameDiffRankedListLoss {

    /** Name of the L2-normalised embedding variable {@code [B, D]} created by {@link #l2Normalize}. */
    public static final String EMBEDDING = "embedding";
    /** Name of the per-query loss variable {@code [B]} created by {@link #perQueryLoss}. */
    public static final String PER_QUERY_LOSS = "per_query_loss";

    /** Norm clamp of the L2 normalisation, as in PyTorch's {@code F.normalize}. */
    static final double NORM_FLOOR = L2Rows.NORM_FLOOR;
    /** Stands in for minus infinity in masked maxima; the masked entries are multiplied by 0 afterwards. */
    private static final double MASKED = 1e30;

    private static final String INPUT = "input";
    private static final String LABELS = "labels";

    private final SameDiff sd;
    private final DataType dataType;

    /** Compiles the graph for raw embeddings of the given type. */
    public SameDiffRankedListLoss(RankedListLossConfig cfg, DataType dataType) {
        this.dataType = dataType;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            sd = SameDiff.create();
            SDVariable input = sd.placeHolder(INPUT, dataType, -1, -1);
            SDVariable labels = sd.placeHolder(LABELS, dataType, -1, 1);
            perQueryLoss(sd, l2Normalize(sd, input), labels, cfg).mean("mean_loss");
        }
        GradFunctions.create(sd, INPUT);
    }

    /** Per-query losses {@code [B]}. */
    public double[] perQuery(double[][] rawX, long[] labels) {
        return sd.outputSingle(placeholders(rawX, labels), PER_QUERY_LOSS).castTo(DataType.DOUBLE).toDoubleVector();
    }

    /** Autodiff gradient of the batch mean with respect to the raw embeddings. */
    public double[][] gradientOfMean(double[][] rawX, long[] labels) {
        return sd.calculateGradients(placeholders(rawX, labels), java.util.List.of(INPUT)).get(INPUT)
                .castTo(DataType.DOUBLE).toDoubleMatrix();
    }

    private java.util.Map<String, INDArray> placeholders(double[][] rawX, long[] labels) {
        return java.util.Map.of(INPUT, Nd4j.createFromArray(rawX).castTo(dataType),
                LABELS, Nd4j.createFromArray(labels).castTo(dataType).reshape(-1, 1));
    }

    /**
     * Adds {@code x / max(||x||_2, 1e-12)} row-wise, named {@link #EMBEDDING}.
     *
     * @param sd SameDiff instance
     * @param x raw embeddings {@code [B, D]}
     * @return the L2-normalised embeddings {@code [B, D]}
     */
    public static SDVariable l2Normalize(SameDiff sd, SDVariable x) {
        SDVariable norm = sd.math().sqrt(x.mul(x).sum(true, 1));
        return x.div(EMBEDDING, sd.scalarMax(norm, NORM_FLOOR));
    }

    /**
     * Adds the per-query Ranked List Loss {@code L(i)}, named {@link #PER_QUERY_LOSS}.
     *
     * @param sd SameDiff instance
     * @param embeddings L2-normalised embeddings {@code [B, D]}
     * @param classIds integer class ids {@code [B, 1]} in the embeddings' data type
     * @param cfg hyper-parameters
     * @return {@code [B]}: the loss of every query, 0 for queries without violating pairs
     */
    public static SDVariable perQueryLoss(SameDiff sd, SDVariable embeddings, SDVariable classIds,
                                          RankedListLossConfig cfg) {
        DataType dt = embeddings.dataType();
        SDVariable d = distances(sd, embeddings);
        SDVariable dForWeights = cfg.weightGradient() == RankedListLossConfig.WeightGradient.CONSTANT
                ? new StopGradient(sd, d).outputVariable() : d;

        SDVariable same = sd.eq(classIds, sd.transpose(classIds)).castTo(dt);          // [B,B]
        // 1 - I; the ones come from 0 * (finite row sums) + 1 (ND4J's onesLike logs a warning per graph)
        SDVariable notSelf = sd.math().diag(embeddings.sum(1).mul(0.0).add(1.0)).rsub(1.0);
        SDVariable positives = same.mul(notSelf);
        SDVariable negatives = same.rsub(1.0);

        double alpha = cfg.alpha();
        double posBoundary = cfg.positiveBoundary();

        // Violating sets (strict inequalities); comparisons carry no gradient.
        SDVariable posViolating = positives.mul(d.gt(posBoundary).castTo(dt));
        SDVariable negViolating = negatives.mul(d.lt(alpha).castTo(dt));

        SDVariable posHinge = d.sub(posBoundary);                 // > 0 on posViolating
        SDVariable negHinge = d.rsub(alpha);                      // > 0 on negViolating
        SDVariable posLogits = dForWeights.sub(posBoundary).mul(cfg.tp());
        SDVariable negLogits = dForWeights.rsub(alpha).mul(cfg.tn());

        SDVariable lossP = weightedMean(sd, posHinge, posLogits, posViolating);
        SDVariable lossN = weightedMean(sd, negHinge, negLogits, negViolating);
        SDVariable perQuery = cfg.lambda() == 1.0 ? lossP.add(lossN) : lossP.add(lossN.mul(cfg.lambda()));
        return sd.identity(PER_QUERY_LOSS, perQuery);
    }

    /**
     * Euclidean distances {@code [B, B]} with one GEMM and a sqrt whose gradient is 0 where the
     * squared distance is 0.
     */
    static SDVariable distances(SameDiff sd, SDVariable e) {
        SDVariable sq = e.mul(e).sum(true, 1);                                        // [B,1]
        SDVariable gram = sd.mmul(e, e, false, true, false);                          // [B,B]
        SDVariable d2 = sd.nn().relu(sq.add(sd.transpose(sq)).sub(gram.mul(2.0)), 0.0);
        SDVariable nonZero = d2.gt(0.0).castTo(e.dataType());
        // sqrt(d2 + (1 - nonZero)) * nonZero: equals sqrt(d2), and its derivative at d2 = 0 is 0, not inf*0.
        return sd.math().sqrt(d2.add(nonZero.rsub(1.0))).mul(nonZero);
    }

    /**
     * Per row: {@code sum_j w_ij h_ij / sum_j w_ij} over {@code mask_ij = 1}, with
     * {@code w_ij = exp(logit_ij)}, 0 for an empty row. The row maximum of the masked logits is
     * subtracted (softmax stabilisation; it cancels in the ratio and carries no gradient).
     */
    private static SDVariable weightedMean(SameDiff sd, SDVariable hinge, SDVariable logits, SDVariable mask) {
        // max over the mask; masked-out entries sit at -1e30 and an empty row has max -1e30.
        SDVariable rowMax = logits.mul(mask).add(mask.sub(1.0).mul(MASKED)).max(true, 1);
        rowMax = new StopGradient(sd, rowMax).outputVariable();
        // Masked entries: (logit - max) * 0 = 0, exp(0) * 0 = 0; unmasked: exp(<= 0) in (0, 1].
        SDVariable w = sd.math().exp(logits.sub(rowMax).mul(mask)).mul(mask);
        SDVariable norm = w.sum(1);                                                   // [B]: >= 1 or exactly 0
        // An empty row divides 0 by 1. Not max(norm, 1): a single violating pair has norm exactly 1,
        // and the derivative of max at that tie would drop the normaliser's gradient (FLOW mode).
        SDVariable safeNorm = norm.add(norm.eq(0.0).castTo(norm.dataType()));
        return w.mul(hinge).sum(1).div(safeNorm);
    }
}
