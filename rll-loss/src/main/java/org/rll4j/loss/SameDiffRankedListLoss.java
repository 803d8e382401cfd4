package org.rll4j.loss;

import java.util.Arrays;
import java.util.Objects;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.sampler.LabelEncoding;

/**
 * The Ranked List Loss (Wang et al., CVPR 2019 / TPAMI 2021) as SameDiff operations: add it to any
 * {@link SameDiff} graph on top of a raw embedding variable {@code [B, D]}, and SameDiff's automatic
 * differentiation gives its gradient. Definitions and symbols are on {@link RankedListLossConfig}:
 * <pre>
 *   L(i) = L_P(i) + lambda L_N(i),   loss = (1/B) sum_i L(i)
 * </pre>
 * with the weighted means over the violating positives and negatives of query {@code i}, computed on
 * the L2-normalised embeddings.
 *
 * <pre>
 * SameDiff sd = SameDiff.create();
 * SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 64);
 * SDVariable labels = sd.placeHolder("labels", DataType.INT, -1, 1);           // class ids
 * SDVariable embedding = ...;                                                    // your model, [B, D]
 * SameDiffRankedListLoss.Outputs rll = SameDiffRankedListLoss.add(sd, embedding, labels, RankedListLossConfig.paper());
 * sd.setTrainingConfig(TrainingConfig.builder().updater(new Adam(1e-3))
 *         .dataSetFeatureMapping("x").dataSetLabelMapping("labels").build());
 * sd.fit(iterator, epochs);                                                      // rll.loss() is a loss variable
 * </pre>
 *
 * <p>This is the same mathematics as the hand-derived kernel behind
 * {@link RankedListLossLayer} (and {@link SameDiffRankedListLossLayer}, the same graph as a DL4J layer) (the tests hold both to a brute-force reference and to
 * each other, 1e-10 in double precision). The graph, in order:
 * <ol>
 *   <li>{@code e = x / sqrt(||x||^2 + 1e-24)}: the kernel's {@code x / max(||x||, 1e-12)} (PyTorch's
 *       {@code F.normalize}) to a relative 5e-13 for rows of norm 1e-6 or more, and the same value and
 *       gradient for an all-zero row, without a branch in the gradient;</li>
 *   <li>{@code d2_ij = ||e_i||^2 + ||e_j||^2 - 2 e_i.e_j} from one GEMM, and
 *       {@code d_ij = sqrt(d2_ij)}, except that pairs with {@code d2_ij <=} {@link #coincidentBelow}
 *       (1e-12 in DOUBLE, 1e-6 in FLOAT and narrower types: a few units of the Gram form's rounding)
 *       are <i>coincident</i>: {@code d_ij = 0} and no gradient (the derivative of a distance is
 *       undefined at 0, and below that threshold the Gram form cannot tell the pair's direction).
 *       Every query is coincident with itself, so {@code d_ii = 0}. The kernel instead recomputes
 *       close pairs from the raw differences; the two differ only for pairs closer than
 *       {@code 1e-6} (DOUBLE) resp. {@code 1e-3} (FLOAT), by at most that distance in the loss;</li>
 *   <li>class masks from the labels, and the violating sets by strict comparison,
 *       {@code d > alpha - m} for positives (which excludes the query itself, {@code d_ii = 0}) and
 *       {@code d < alpha} for negatives;</li>
 *   <li>the weights {@code exp(T h)} of the hinges {@code h} ({@code d - (alpha - m)} resp.
 *       {@code alpha - d}), normalised over each violating set. The exponent is shifted so that its
 *       largest possible value is 0: by a constant when {@code |T| <= 15} (the hinges are bounded by
 *       the distance range [0, 2], so every weight stays in [e^-30, 1]), by the per-query maximum
 *       otherwise. {@code T = 0} needs no weights (plain means). With
 *       {@link RankedListLossConfig.WeightGradient#CONSTANT} the normalised weights are stopped
 *       (SameDiff's {@code StopGradient}), so the backward pass only runs through the hinges;</li>
 *   <li>an empty set contributes 0; no epsilon is added anywhere else.</li>
 * </ol>
 * The graph is built outside DL4J workspaces (the arrays SameDiff creates while building would
 * otherwise live in workspace memory that DL4J later reuses), so this may be called from inside
 * {@code fit}, a layer's initialisation or any workspace scope.
 */
public final class SameDiffRankedListLoss {

    /**
     * The variables the loss adds, named {@code <name>/embedding}, {@code <name>/per_query_loss} and
     * {@code <name>/loss}.
     *
     * @param embedding the L2-normalised embedding {@code [B, D]}, what retrieval should use
     * @param perQuery {@code L(i)} for every query, {@code [B]}
     * @param loss the batch mean {@code (1/B) sum_i L(i)}, a scalar, registered as a loss variable
     */
    public record Outputs(SDVariable embedding, SDVariable perQuery, SDVariable loss) {
    }

    /** Default name (prefix of the variable names) of the loss. */
    public static final String DEFAULT_NAME = "rll";
    /** Largest {@code |T|} for which the weights' exponent is shifted by a constant (see the class comment). */
    static final double STATIC_SHIFT_MAX_T = 15;
    /**
     * Clamp of the normaliser, for empty sets: below every weight the constant shift can produce (e^-30 = 9e-14),
     * and with a square that FLOAT still represents (the division's gradient divides by it).
     */
    private static final double NORMALISER_FLOOR = 1e-16;
    /** Stands in for minus infinity in masked maxima; the masked entries are multiplied by 0 afterwards. */
    private static final double MASKED = 1e30;

    private SameDiffRankedListLoss() {
    }

    /**
     * Adds the loss under the name {@value #DEFAULT_NAME}, reading the label encoding from the label
     * variable's shape ({@code [B, 1]} or {@code [B]}: class ids; {@code [B, C]} with a known
     * {@code C > 1}: one-hot).
     *
     * @param sd the graph
     * @param rawEmbeddings the embedding {@code [B, D]}, not normalised, of a floating-point type
     * @param labels class ids or one-hot labels
     * @param config hyper-parameters
     * @return the added variables; {@link Outputs#loss()} is registered as a loss variable
     * @throws IllegalArgumentException if the encoding cannot be read from the label shape, or a
     *         variable of the loss's names exists
     */
    public static Outputs add(SameDiff sd, SDVariable rawEmbeddings, SDVariable labels, RankedListLossConfig config) {
        return add(sd, DEFAULT_NAME, rawEmbeddings, labels, encodingOf(labels), config);
    }

    /**
     * Adds the loss. Use a different {@code name} for each loss in one graph (e.g. one per head of a
     * multi-level embedding; SameDiff sums the loss variables when it trains).
     *
     * @param sd the graph
     * @param name prefix of the added variables' names
     * @param rawEmbeddings the embedding {@code [B, D]}, not normalised, of a floating-point type
     * @param labels class ids ({@code [B, 1]} or {@code [B]}) or one-hot rows ({@code [B, C]})
     * @param encoding how {@code labels} encodes the classes
     * @param config hyper-parameters
     * @return the added variables; {@link Outputs#loss()} is registered as a loss variable
     */
    public static Outputs add(SameDiff sd, String name, SDVariable rawEmbeddings, SDVariable labels,
                              LabelEncoding encoding, RankedListLossConfig config) {
        Objects.requireNonNull(sd, "sd must not be null");
        Objects.requireNonNull(rawEmbeddings, "rawEmbeddings must not be null");
        Objects.requireNonNull(labels, "labels must not be null");
        Objects.requireNonNull(encoding, "encoding must not be null");
        Objects.requireNonNull(config, "config must not be null");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must be a non-blank prefix for the loss's variable names, found '" + name + "'");
        }
        if (!rawEmbeddings.dataType().isFPType()) {
            throw new IllegalArgumentException("the embedding '" + rawEmbeddings.name()
                    + "' must be of a floating-point type, found " + rawEmbeddings.dataType());
        }
        for (String suffix : new String[] {"/embedding", "/per_query_loss", "/loss"}) {
            if (sd.hasVariable(name + suffix)) {
                throw new IllegalArgumentException("the graph already has a variable '" + name + suffix
                        + "'; give each Ranked List Loss in a graph its own name");
            }
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            SDVariable e = normalise(sd, name + "/embedding", rawEmbeddings);
            SDVariable same = sameClass(sd, labels, encoding, e.dataType());
            SDVariable perQuery = perQueryLoss(sd, name + "/per_query_loss", e, same, config);
            SDVariable loss = perQuery.mean(name + "/loss");
            sd.addLossVariable(loss);
            return new Outputs(e, perQuery, loss);
        }
    }

    /**
     * Creates the graph's gradient function (what {@code sd.fit} and {@code sd.calculateGradients} otherwise
     * create on first use) outside DL4J workspaces, without the line per op that ND4J 1.0.0-M2.1 prints to
     * {@code System.out} while doing so. Optional; call it after the graph and its loss variables are complete.
     *
     * @param sd the graph
     * @param differentiate the variables to differentiate the loss with respect to, besides the trainable
     *        ones (e.g. an embedding placeholder); none for training
     */
    public static void createGradientFunction(SameDiff sd, String... differentiate) {
        GradFunctions.create(Objects.requireNonNull(sd, "sd must not be null"), differentiate);
    }

    /**
     * The encoding the label variable's static shape implies.
     *
     * @throws IllegalArgumentException if the shape does not say (unknown rank or width)
     */
    static LabelEncoding encodingOf(SDVariable labels) {
        long[] shape = labels.getShape();
        if (shape != null && (shape.length == 1 || shape.length == 2 && shape[1] == 1)) {
            return LabelEncoding.CLASS_IDS;
        }
        if (shape != null && shape.length == 2 && shape[1] > 1) {
            return LabelEncoding.ONE_HOT;
        }
        throw new IllegalArgumentException("cannot tell from the shape " + (shape == null ? "(unknown)" : Arrays.toString(shape))
                + " of the label variable '" + labels.name() + "' whether it holds class ids [B, 1] or one-hot rows [B, C]; "
                + "give the shape to the placeholder or pass a LabelEncoding");
    }

    /**
     * The L2-normalised rows {@code e = x / sqrt(||x||^2 + 1e-24)}, named {@code name}. The floor matches the
     * kernel's {@code x / max(||x||, 1e-12)} to a relative 5e-13 for rows of norm at least 1e-6 and for all-zero
     * rows (value 0, gradient {@code g / 1e-12}), and its gradient needs no branch.
     */
    private static SDVariable normalise(SameDiff sd, String name, SDVariable x) {
        return x.div(name, sd.math().sqrt(x.mul(x).sum(true, 1).add(L2Rows.NORM_FLOOR * L2Rows.NORM_FLOOR)));
    }

    /** {@code [B, B]} in {@code dataType}: 1 where two rows share a class, including the diagonal. */
    static SDVariable sameClass(SameDiff sd, SDVariable labels, LabelEncoding encoding, DataType dataType) {
        if (encoding == LabelEncoding.ONE_HOT) {
            SDVariable oneHot = labels.dataType() == dataType ? labels : labels.castTo(dataType);
            return sd.mmul(oneHot, oneHot, false, true, false);
        }
        long[] shape = labels.getShape();
        SDVariable ids = shape != null && shape.length == 2 ? labels : sd.reshape(labels, -1, 1);
        return sd.eq(ids, sd.transpose(ids)).castTo(dataType);
    }

    /**
     * Squared distances at or below this are coincident pairs: distance 0 and no gradient.
     *
     * @param dataType the embeddings' type
     * @return 1e-12 for DOUBLE, 1e-6 otherwise
     */
    public static double coincidentBelow(DataType dataType) {
        return dataType == DataType.DOUBLE ? 1e-12 : 1e-6;
    }

    /**
     * Adds the per-query losses {@code L(i)}.
     *
     * @param sd the graph
     * @param name name of the result
     * @param e the normalised embeddings {@code [B, D]}
     * @param same {@code [B, B]} class-equality mask in {@code e}'s type (diagonal included)
     * @param cfg hyper-parameters
     * @return {@code [B]}
     */
    private static SDVariable perQueryLoss(SameDiff sd, String name, SDVariable e, SDVariable same, RankedListLossConfig cfg) {
        DataType dt = e.dataType();
        double coincident = coincidentBelow(dt);
        SDVariable sq = e.mul(e).sum(true, 1);                                              // [B,1]: 1, or 0 for a zero row
        SDVariable d2 = sq.add(sd.transpose(sq)).sub(sd.mmul(e, e, false, true, false).mul(2.0));   // ||e_i - e_j||^2
        SDVariable apart = d2.gt(coincident).castTo(dt);
        // sqrt(d2) where apart; sqrt(d2 + 1) * 0 = 0 (and a zero gradient) for coincident pairs and the diagonal
        SDVariable d = sd.math().sqrt(d2.add(apart.rsub(1.0))).mul(apart);

        double alpha = cfg.alpha();
        double boundary = cfg.positiveBoundary();
        SDVariable posHinge = d.sub(boundary);
        SDVariable negHinge = d.rsub(alpha);
        // Strict comparisons; d_ii = 0 is never > alpha - m >= 0, so the query is not its own positive.
        SDVariable posSet = same.mul(posHinge.gt(0.0).castTo(dt));
        SDVariable negSet = same.rsub(1.0).mul(negHinge.gt(0.0).castTo(dt));
        // Hinges over all pairs (d in [0, 2]): positives in [-boundary, 2 - boundary], negatives in [alpha - 2, alpha].
        boolean constant = cfg.weightGradient() == RankedListLossConfig.WeightGradient.CONSTANT;
        SDVariable lossP = weightedMean(sd, posHinge, posSet, cfg.tp(), -boundary, 2 - boundary, constant);
        SDVariable lossN = weightedMean(sd, negHinge, negSet, cfg.tn(), alpha - 2, alpha, constant);
        return cfg.lambda() == 1.0 ? lossP.add(name, lossN) : lossP.add(name, lossN.mul(cfg.lambda()));
    }

    /**
     * Per row: {@code sum_j w_ij h_ij / sum_j w_ij} over {@code set_ij = 1}, with {@code w = exp(T h)},
     * 0 for an empty row. With constant weights (or {@code T = 0}, where they are constant anyway) the
     * normalised weights are computed once and stopped, so the backward pass is one product and one sum.
     *
     * @param lo lower bound of {@code h} over all pairs
     * @param hi upper bound of {@code h} over all pairs
     */
    private static SDVariable weightedMean(SameDiff sd, SDVariable hinge, SDVariable set, double t, double lo, double hi,
                                           boolean constantWeights) {
        SDVariable w;
        if (t == 0) {
            w = set;                                                                          // plain mean
        } else {
            SDVariable exponent;
            if (Math.abs(t) <= STATIC_SHIFT_MAX_T) {
                // T h - max(T lo, T hi) lies in [-|T| (hi - lo), 0] = [-2|T|, 0] = [-30, 0] at most: no overflow, no underflow.
                exponent = hinge.mul(t).sub(Math.max(t * lo, t * hi));
            } else {
                // Subtract each row's maximum over its set (masked entries at -1e30; an empty row's maximum is -1e30,
                // and its exponent is then multiplied by 0). The shift cancels in the ratio and carries no gradient.
                SDVariable logits = hinge.mul(t);
                SDVariable rowMax = logits.mul(set).add(set.sub(1.0).mul(MASKED)).max(true, 1);
                exponent = logits.sub(stop(sd, rowMax)).mul(set);
            }
            w = sd.math().exp(exponent).mul(set);
        }
        // An empty row gives 0 / floor = 0; a non-empty one has a normaliser of at least e^-30, above the floor.
        if (constantWeights || t == 0) {
            SDVariable normalised = stop(sd, w.div(sd.scalarMax(w.sum(true, 1), NORMALISER_FLOOR)));
            return normalised.mul(hinge).sum(1);
        }
        return w.mul(hinge).sum(1).div(sd.scalarMax(w.sum(1), NORMALISER_FLOOR));
    }

    private static SDVariable stop(SameDiff sd, SDVariable x) {
        return new StopGradient(sd, x).outputVariable();
    }
}
