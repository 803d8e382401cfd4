package org.rll4j.loss;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The Ranked List Loss as a DL4J {@link ILossFunction} over a whole mini-batch (the loss of an
 * example depends on the other examples of its batch). {@link RankedListLossLayer} wraps it with the
 * L2 normalisation the loss is defined on; use this class directly only to build such a layer
 * yourself.
 *
 * <p>Contract, as DL4J's loss layers call it: the activation must be {@link ActivationL2Normalize}
 * (the loss is defined on unit embeddings; the normalisation and its gradient are computed together
 * with the loss); labels are class ids
 * {@code [B, 1]} or one-hot {@code [B, C]} (see {@link LabelIds}); {@code computeScore(average=false)}
 * is {@code sum_i L(i)} and {@code average=true} the mean; {@code computeScoreArray} is {@code L(i)}
 * as {@code [B, 1]}; {@code computeGradient} is {@code d(sum_i L(i))/dx}. Per-example masks are not
 * supported (every example of a batch is both a query and a gallery item) and are rejected.
 */
public class RankedListLossFunction implements ILossFunction {

    private static final long serialVersionUID = 1L;
    private static final String CONTEXT = "Ranked List Loss";

    private final RankedListLossConfig config;

    /**
     * @param config hyper-parameters, not null
     */
    @JsonCreator
    public RankedListLossFunction(@JsonProperty("config") RankedListLossConfig config) {
        this.config = Objects.requireNonNull(config, "config must not be null");
    }

    /** The hyper-parameters. */
    @JsonProperty("config")
    public RankedListLossConfig getConfig() {
        return config;
    }

    /** Checks mask, activation, shapes and labels, then runs the kernel on the pre-output. */
    PairwiseEngine.Result evaluate(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                                         boolean withGradient) {
        if (mask != null) {
            throw new UnsupportedOperationException(CONTEXT + ": per-example masks are not supported (every example "
                    + "of a batch is a query and a gallery item); build batches of the examples to use instead");
        }
        if (!(activationFn instanceof ActivationL2Normalize)) {
            throw new IllegalArgumentException(CONTEXT + ": the activation must be ActivationL2Normalize (the loss is "
                    + "defined on unit embeddings), found " + activationFn);
        }
        if (preOutput.rank() != 2) {
            throw new IllegalArgumentException(CONTEXT + ": embeddings must be [batch, D], found shape "
                    + Arrays.toString(preOutput.shape()));
        }
        if (labels.size(0) != preOutput.size(0)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s: labels have %d rows but the embedding batch has %d", CONTEXT, labels.size(0), preOutput.size(0)));
        }
        long[] ids = LabelIds.classIds(labels, CONTEXT);
        return RankedListLossKernel.compute(preOutput, ids, config, withGradient, CONTEXT);
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        PairwiseEngine.Result r = evaluate(labels, preOutput, activationFn, mask, false);
        return average ? r.sum() / r.perQuery().length : r.sum();
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        double[] perQuery = evaluate(labels, preOutput, activationFn, mask, false).perQuery();
        return Nd4j.createFromArray(perQuery).castTo(preOutput.dataType()).reshape(perQuery.length, 1);
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return evaluate(labels, preOutput, activationFn, mask, true).gradient();
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
                                                          INDArray mask, boolean average) {
        PairwiseEngine.Result r = evaluate(labels, preOutput, activationFn, mask, true);
        double score = average ? r.sum() / r.perQuery().length : r.sum();
        return new Pair<>(score, r.gradient());
    }

    @Override
    public String name() {
        return "RankedListLoss";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RankedListLossFunction f && f.config.equals(config);
    }

    @Override
    public int hashCode() {
        return config.hashCode();
    }

    @Override
    public String toString() {
        return "RankedListLossFunction(" + config + ")";
    }
}
