package org.rll4j.loss;

import org.nd4j.shade.jackson.annotation.JsonIgnore;

/**
 * A baseline metric-learning loss ({@link MetricLossConfig}, e.g. {@link ContrastiveLossConfig}) as a DL4J output
 * layer without parameters, with the contract of {@link PairwiseLossLayer}, the same as {@link RankedListLossLayer}'s,
 * so that the losses can be swapped in one network and compared.
 *
 * <pre>
 * .addLayer("loss", MetricLossLayer.of(ContrastiveLossConfig.defaults()), "embedding")
 * </pre>
 */
public class MetricLossLayer extends PairwiseLossLayer {

    private static final long serialVersionUID = 1L;

    /** For JSON deserialisation; prefer {@link #of(MetricLossConfig)}. Holds {@link ContrastiveLossConfig#defaults()}. */
    public MetricLossLayer() {
        this.lossFn = new MetricLossFunction(ContrastiveLossConfig.defaults());
    }

    /**
     * A layer computing the given loss.
     *
     * @param lossConfig the loss and its validated hyper-parameters, not null
     * @return a new layer configuration
     */
    public static MetricLossLayer of(MetricLossConfig lossConfig) {
        MetricLossLayer layer = new MetricLossLayer();
        layer.lossFn = new MetricLossFunction(lossConfig);
        return layer;
    }

    /** The loss and its hyper-parameters (held by the layer's {@link MetricLossFunction}). */
    @JsonIgnore
    public MetricLossConfig getLossConfig() {
        requireConsistent();
        return ((MetricLossFunction) lossFn).getConfig();
    }

    @Override
    Class<? extends PairwiseLossFunction> functionClass() {
        return MetricLossFunction.class;
    }

    @Override
    public MetricLossLayer clone() {
        return (MetricLossLayer) super.clone();
    }
}
