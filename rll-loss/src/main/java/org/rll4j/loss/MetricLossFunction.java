package org.rll4j.loss;

import java.util.Objects;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A baseline metric-learning loss ({@link MetricLossConfig}) as a DL4J loss function over a whole mini-batch,
 * with the contract of {@link PairwiseLossFunction}. {@link MetricLossLayer} wraps it with the L2 normalisation.
 */
public class MetricLossFunction extends PairwiseLossFunction {

    private static final long serialVersionUID = 1L;

    private final MetricLossConfig config;

    /**
     * @param config the loss and its hyper-parameters, not null
     */
    @JsonCreator
    public MetricLossFunction(@JsonProperty("config") MetricLossConfig config) {
        this.config = Objects.requireNonNull(config, "config must not be null");
    }

    /** The loss and its hyper-parameters. */
    @JsonProperty("config")
    public MetricLossConfig getConfig() {
        return config;
    }

    @Override
    PairwiseEngine.PairTerms terms() {
        return config.terms();
    }

    @Override
    String context() {
        return config.lossName();
    }

    @Override
    public String name() {
        return config.lossName();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MetricLossFunction f && f.config.equals(config);
    }

    @Override
    public int hashCode() {
        return config.hashCode();
    }

    @Override
    public String toString() {
        return "MetricLossFunction(" + config + ")";
    }
}
