package org.rll4j.listeners;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * A listener that acts every N training steps and/or at the end of every epoch. DL4J calls
 * {@code iterationDone(model, iteration, epoch)} after a step's update and before it increments the iteration
 * counter, so {@code iteration + 1} steps are done; {@code onEpochEnd} after the epoch's last step, with the
 * counter incremented and the epoch counter not yet. Either way {@link #act} gets the steps done and the epoch.
 */
abstract class ScheduledListener extends BaseTrainingListener {

    private final int every;
    private final boolean atEpochEnd;

    /**
     * @param every act after every this many steps, {@code >= 0} (0: not by steps)
     * @param atEpochEnd act at the end of every epoch
     * @throws IllegalArgumentException when {@code every} is negative
     */
    ScheduledListener(int every, boolean atEpochEnd) {
        if (every < 0) {
            throw new IllegalArgumentException("every must be >= 0 iterations (0: none), found " + every);
        }
        this.every = every;
        this.atEpochEnd = atEpochEnd;
    }

    /** @return the steps between two actions, 0 for none */
    int every() {
        return every;
    }

    /** @return whether it acts at epoch ends */
    boolean atEpochEnd() {
        return atEpochEnd;
    }

    /**
     * Acts on the network.
     *
     * @param model the network
     * @param iterations training steps done
     * @param epoch the epoch
     * @throws IOException when what it reads or writes fails
     */
    abstract void act(Model model, long iterations, int epoch) throws IOException;

    /**
     * Acts when {@code iteration + 1}, the steps done, is a multiple of {@code every}.
     *
     * @throws UncheckedIOException when acting fails to read or write
     */
    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        long done = iteration + 1L;
        if (every > 0 && done % every == 0) {
            actUnchecked(model, done, epoch);
        }
    }

    /**
     * Acts at the end of each epoch, when asked to.
     *
     * @throws UncheckedIOException when acting fails to read or write
     */
    @Override
    public void onEpochEnd(Model model) {
        if (atEpochEnd) {
            actUnchecked(model, Models.iterations(model), Models.epochs(model));
        }
    }

    private void actUnchecked(Model model, long iterations, int epoch) {
        try {
            act(model, iterations, epoch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
