package org.rll4j.loss;

import java.util.Arrays;
import java.util.Locale;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.rll4j.sampler.LabelIds;

/**
 * A metric-learning loss over a whole mini-batch as a DL4J {@link ILossFunction} (the loss of an example
 * depends on the other examples of its batch), computed by {@link PairwiseEngine} from the loss's per-pair
 * terms. The contract, as DL4J's loss layers call it, is the same for every such loss:
 * the activation must be {@link ActivationL2Normalize} (the losses are defined on unit embeddings; the
 * normalisation and its gradient are computed together with the loss); labels are class ids {@code [B, 1]}
 * or one-hot {@code [B, C]} (see {@link LabelIds}); {@code computeScore(average=false)} is
 * {@code sum_i L(i)} and {@code average=true} the mean; {@code computeScoreArray} is {@code L(i)} as
 * {@code [B, 1]}; {@code computeGradient} is {@code d(sum_i L(i))/dx}. Per-example masks are not supported
 * (every example of a batch is both a query and a gallery item) and are rejected.
 */
public abstract class PairwiseLossFunction implements ILossFunction {

    private static final long serialVersionUID = 1L;

    /** The loss's per-pair terms. */
    abstract PairwiseEngine.PairTerms terms();

    /** The loss's name in error messages, e.g. "Ranked List Loss". */
    abstract String context();

    /** Checks mask, activation, shapes and labels, then runs the engine on the pre-output. */
    PairwiseEngine.Result evaluate(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                                   boolean withGradient) {
        return evaluate(labels, preOutput, activationFn, mask, withGradient, null);
    }

    /** {@link #evaluate(INDArray, INDArray, IActivation, INDArray, boolean)} with a cross-batch memory as extra gallery (or null). */
    PairwiseEngine.Result evaluate(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                                   boolean withGradient, CrossBatchMemory memory) {
        String context = context();
        if (mask != null) {
            throw new UnsupportedOperationException(context + ": per-example masks are not supported (every example "
                    + "of a batch is a query and a gallery item); build batches of the examples to use instead");
        }
        if (!(activationFn instanceof ActivationL2Normalize)) {
            throw new IllegalArgumentException(context + ": the activation must be ActivationL2Normalize (the loss is "
                    + "defined on unit embeddings), found " + activationFn);
        }
        if (preOutput.rank() != 2) {
            throw new IllegalArgumentException(context + ": embeddings must be [batch, D], found shape "
                    + Arrays.toString(preOutput.shape()));
        }
        if (labels.size(0) != preOutput.size(0)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s: labels have %d rows but the embedding batch has %d", context, labels.size(0), preOutput.size(0)));
        }
        long[] ids = LabelIds.classIds(labels, context);
        return PairwiseEngine.compute(preOutput, ids, terms(), withGradient, context, memory);
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
}
