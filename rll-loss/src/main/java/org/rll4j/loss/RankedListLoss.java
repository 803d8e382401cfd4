package org.rll4j.loss;

import java.util.Objects;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Ranked List Loss as a plain function of a batch, outside any network: per-query losses, the
 * batch mean and its gradient with respect to the raw (un-normalised) embeddings. It runs the same
 * code as {@link RankedListLossLayer}; use it to score embeddings, to see which queries carry the
 * loss, or in custom training loops. Instances are immutable and thread-safe.
 */
public final class RankedListLoss {

    private final RankedListLossFunction function;
    private final DataType dataType;
    private final ActivationL2Normalize normalize = new ActivationL2Normalize();

    private RankedListLoss(RankedListLossConfig config, DataType dataType) {
        this.function = new RankedListLossFunction(Objects.requireNonNull(config, "config must not be null"));
        if (!dataType.isFPType()) {
            throw new IllegalArgumentException("dataType must be a floating-point type, found " + dataType);
        }
        this.dataType = dataType;
    }

    /**
     * @param config hyper-parameters
     * @param dataType FLOAT, DOUBLE or another floating-point type; inputs are cast to it
     * @return the loss
     */
    public static RankedListLoss create(RankedListLossConfig config, DataType dataType) {
        return new RankedListLoss(config, dataType);
    }

    /** The hyper-parameters. */
    public RankedListLossConfig config() {
        return function.getConfig();
    }

    /**
     * @param rawEmbeddings {@code [B, D]}, not necessarily normalised
     * @param labels class ids {@code [B, 1]} or one-hot {@code [B, C]}
     * @return {@code L(i)} for every query, {@code [B]}, in double precision
     */
    public INDArray perQuery(INDArray rawEmbeddings, INDArray labels) {
        return Nd4j.createFromArray(function.evaluate(labels, cast(rawEmbeddings), normalize, null, false).perQuery());
    }

    /** The batch mean {@code (1/B) sum_i L(i)}, as {@link RankedListLossLayer} reports it. */
    public double mean(INDArray rawEmbeddings, INDArray labels) {
        return function.computeScore(labels, cast(rawEmbeddings), normalize, null, true);
    }

    /** Gradient of the batch mean with respect to the raw embeddings, {@code [B, D]}. */
    public INDArray gradient(INDArray rawEmbeddings, INDArray labels) {
        INDArray x = cast(rawEmbeddings);
        return function.computeGradient(labels, x, normalize, null).divi(x.size(0));
    }

    /**
     * {@code L(i)} of each query over the gallery of the batch followed by a cross-batch memory's entries (constants;
     * see {@link CrossBatchMemoryConfig} for the definition). With an empty memory, {@link #perQuery(INDArray, INDArray)}.
     *
     * @param memory the extra gallery items, of the batch's width
     */
    public INDArray perQuery(INDArray rawEmbeddings, INDArray labels, CrossBatchMemory memory) {
        return Nd4j.createFromArray(function.evaluate(labels, cast(rawEmbeddings), normalize, null, false,
                Objects.requireNonNull(memory, "memory must not be null")).perQuery());
    }

    /** The batch mean of {@link #perQuery(INDArray, INDArray, CrossBatchMemory)}. */
    public double mean(INDArray rawEmbeddings, INDArray labels, CrossBatchMemory memory) {
        PairwiseEngine.Result r = function.evaluate(labels, cast(rawEmbeddings), normalize, null, false,
                Objects.requireNonNull(memory, "memory must not be null"));
        return r.sum() / r.perQuery().length;
    }

    /** Gradient of {@link #mean(INDArray, INDArray, CrossBatchMemory)} with respect to the raw embeddings (none to the memory). */
    public INDArray gradient(INDArray rawEmbeddings, INDArray labels, CrossBatchMemory memory) {
        INDArray x = cast(rawEmbeddings);
        return function.evaluate(labels, x, normalize, null, true, Objects.requireNonNull(memory, "memory must not be null"))
                .gradient().divi(x.size(0));
    }

    private INDArray cast(INDArray x) {
        return x.dataType() == dataType ? x : x.castTo(dataType);
    }
}
