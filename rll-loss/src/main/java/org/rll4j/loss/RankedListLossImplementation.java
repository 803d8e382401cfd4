package org.rll4j.loss;

import java.util.Locale;
import java.util.Optional;

import org.deeplearning4j.nn.conf.layers.Layer;

/**
 * The two DL4J layers of the Ranked List Loss, which share one contract (input, labels, score, output,
 * validation, serialisation) and compute the same values.
 */
public enum RankedListLossImplementation {

    /** {@link RankedListLossLayer}: the hand-derived forward and backward pass; the fast default. */
    KERNEL,
    /** {@link SameDiffRankedListLossLayer}: the loss as a SameDiff graph, differentiated by SameDiff. */
    SAMEDIFF;

    /**
     * A loss layer of this implementation.
     *
     * @param config hyper-parameters
     * @return a new layer configuration
     */
    public Layer layer(RankedListLossConfig config) {
        return this == KERNEL ? RankedListLossLayer.of(config) : SameDiffRankedListLossLayer.of(config);
    }

    /**
     * Which implementation a layer configuration is, if it is a Ranked List Loss layer.
     *
     * @param layer any layer configuration
     * @return the implementation, or empty for any other layer
     */
    public static Optional<RankedListLossImplementation> of(Layer layer) {
        if (layer instanceof RankedListLossLayer) {
            return Optional.of(KERNEL);
        }
        return layer instanceof SameDiffRankedListLossLayer ? Optional.of(SAMEDIFF) : Optional.empty();
    }

    /**
     * The hyper-parameters of a Ranked List Loss layer of either implementation.
     *
     * @param layer a {@link RankedListLossLayer} or {@link SameDiffRankedListLossLayer}
     * @return its hyper-parameters
     * @throws IllegalArgumentException for any other layer
     */
    public static RankedListLossConfig configOf(Layer layer) {
        if (layer instanceof RankedListLossLayer kernel) {
            return kernel.getLossConfig();
        }
        if (layer instanceof SameDiffRankedListLossLayer graph) {
            return graph.getLossConfig();
        }
        throw new IllegalArgumentException("not a Ranked List Loss layer: " + (layer == null ? null : layer.getClass().getName()));
    }

    /** The lower-case name used in configuration files ({@code kernel}, {@code samediff}). */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
