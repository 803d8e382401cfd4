package org.rll4j.loss;

import java.util.Objects;

import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The Ranked List Loss (Wang et al., CVPR 2019 / TPAMI 2021) as a DL4J output layer without
 * parameters, for any {@code ComputationGraph} or {@code MultiLayerNetwork}, with the contract of
 * {@link PairwiseLossLayer} (raw embedding in, class ids or one-hot labels, batch-mean score, the
 * L2-normalised embedding out, errors naming the layer).
 *
 * <pre>
 * .addLayer("rll", RankedListLossLayer.of(RankedListLossConfig.paper()), "embedding")
 * </pre>
 *
 * <p>The computation is {@link RankedListLossKernel}'s hand-derived forward and backward pass on the shared
 * {@link PairwiseEngine} (two GEMMs and one pass over the {@code B x B} pairs), checked against a brute-force
 * reference, DL4J's gradient checks and SameDiff's automatic differentiation in the tests. The
 * hyper-parameters live in the {@link RankedListLossFunction} and survive JSON and {@code ModelSerializer}
 * round trips. With a {@link CrossBatchMemoryConfig} ({@link #of(RankedListLossConfig, CrossBatchMemoryConfig)}) the
 * gallery of each query is the batch and a memory of recent embeddings.
 */
public class RankedListLossLayer extends PairwiseLossLayer {

    private static final long serialVersionUID = 1L;

    /** Null: the in-batch loss. Serialised with the layer's JSON (absent in layers saved before it existed). */
    @JsonProperty("memory")
    private CrossBatchMemoryConfig memory;

    /** For JSON deserialisation; prefer {@link #of(RankedListLossConfig)}. Holds {@link RankedListLossConfig#paper()}. */
    public RankedListLossLayer() {
        this.lossFn = new RankedListLossFunction(RankedListLossConfig.paper());
    }

    /**
     * A layer with the given hyper-parameters.
     *
     * @param lossConfig validated hyper-parameters, not null
     * @return a new layer configuration
     */
    public static RankedListLossLayer of(RankedListLossConfig lossConfig) {
        RankedListLossLayer layer = new RankedListLossLayer();
        layer.lossFn = new RankedListLossFunction(lossConfig);
        return layer;
    }

    /**
     * A layer whose queries rank the batch and a cross-batch memory of the last {@code memory.size()} embeddings
     * (see {@link CrossBatchMemoryConfig}).
     *
     * @param lossConfig validated hyper-parameters, not null
     * @param memory the memory, not null
     * @return a new layer configuration
     */
    public static RankedListLossLayer of(RankedListLossConfig lossConfig, CrossBatchMemoryConfig memory) {
        RankedListLossLayer layer = of(lossConfig);
        layer.memory = Objects.requireNonNull(memory, "memory must not be null (use of(config) for the in-batch loss)");
        return layer;
    }

    /** The cross-batch memory, or null for the in-batch loss (the paper's). */
    @JsonIgnore
    public CrossBatchMemoryConfig getMemoryConfig() {
        return memory;
    }

    @Override
    CrossBatchMemoryConfig memoryConfig() {
        return memory;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RankedListLossLayer l && super.equals(o) && Objects.equals(memory, l.memory);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + Objects.hashCode(memory);
    }

    /** The hyper-parameters (held by the layer's {@link RankedListLossFunction}). */
    @JsonIgnore
    public RankedListLossConfig getLossConfig() {
        requireConsistent();
        return ((RankedListLossFunction) lossFn).getConfig();
    }

    @Override
    Class<? extends PairwiseLossFunction> functionClass() {
        return RankedListLossFunction.class;
    }

    @Override
    public RankedListLossLayer clone() {
        return (RankedListLossLayer) super.clone();
    }
}
