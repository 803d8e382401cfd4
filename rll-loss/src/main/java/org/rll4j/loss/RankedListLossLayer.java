package org.rll4j.loss;

import org.nd4j.shade.jackson.annotation.JsonIgnore;

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
 * round trips.
 */
public class RankedListLossLayer extends PairwiseLossLayer {

    private static final long serialVersionUID = 1L;

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
