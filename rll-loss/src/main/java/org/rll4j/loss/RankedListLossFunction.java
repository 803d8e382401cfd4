package org.rll4j.loss;

import java.util.Objects;

import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The Ranked List Loss as a DL4J {@link ILossFunction} over a whole mini-batch, with the contract of
 * {@link PairwiseLossFunction}. {@link RankedListLossLayer} wraps it with the L2 normalisation the loss is
 * defined on; use this class directly only to build such a layer yourself.
 */
public class RankedListLossFunction extends PairwiseLossFunction {

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

    @Override
    PairwiseEngine.PairTerms terms() {
        return RankedListLossKernel.of(config);
    }

    @Override
    String context() {
        return CONTEXT;
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
