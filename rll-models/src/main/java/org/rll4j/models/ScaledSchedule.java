package org.rll4j.models;

import java.util.Objects;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A schedule multiplied by a constant: {@code valueAt(i, e) = factor * base.valueAt(i, e)}. Gives the
 * heads the paper's 10x learning rate while they follow the backbone's step decay.
 */
public final class ScaledSchedule implements ISchedule {

    private static final long serialVersionUID = 1L;

    @JsonProperty("base")
    private final ISchedule base;
    @JsonProperty("factor")
    private final double factor;

    /**
     * @param base the schedule to scale
     * @param factor the multiplier, finite and {@code > 0}
     */
    @JsonCreator
    public ScaledSchedule(@JsonProperty("base") ISchedule base, @JsonProperty("factor") double factor) {
        this.base = Objects.requireNonNull(base, "base must not be null");
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("factor must be finite and > 0, found " + factor);
        }
        this.factor = factor;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        return factor * base.valueAt(iteration, epoch);
    }

    @Override
    public ISchedule clone() {
        return new ScaledSchedule(base.clone(), factor);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScaledSchedule s && s.factor == factor && s.base.equals(base);
    }

    @Override
    public int hashCode() {
        return Objects.hash(base, factor);
    }

    @Override
    public String toString() {
        return factor + " x " + base;
    }
}
