package org.rll4j.listeners;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * Stops training that diverges, with a message that says when, how and what to try, and tells
 * {@link ResumableCheckpointListener} when a network is not fit to be checkpointed.
 *
 * <h2>What counts</h2>
 * A metric-learning loss on L2-normalised embeddings has an upper bound: every distance lies in [0, 2], so each
 * loss's batch mean is bounded (for the Ranked List Loss {@code (2 - (alpha - m)) + lambda * alpha}, both hinges at
 * their largest; rll-loss' {@code RankedListLossConfig.maxBatchMean()}, {@code MetricLossConfig.maxBatchMean(B)}),
 * and a network's score, the sum of its heads' batch means, is at most {@code heads} times that: give it as
 * {@link Builder#maxLoss(double)}. A score above it comes from the regularisation terms DL4J adds to the score, i.e.
 * from weights growing without limit. Losses on raw embeddings (lifted structure, N-pair) have no bound: leave
 * {@code maxLoss} infinite, and only non-finite scores and parameters count. Then:
 * <ul>
 *   <li><b>diverged</b> (stop now): the score is NaN or infinite, or larger than {@value #DIVERGED_FACTOR} x
 *       {@code maxLoss};</li>
 *   <li><b>fit to checkpoint</b> ({@link #checkpointProblem}): the last score and the parameters are all finite and
 *       the mean score since the previous checkpoint is at most {@value #CHECKPOINT_FACTOR} x {@code maxLoss};
 *       otherwise the checkpoint listener skips the checkpoint and the previous one stays the one to resume
 *       from.</li>
 * </ul>
 *
 * <h2>When it runs</h2>
 * In {@code iterationDone}, after the step's update and before DL4J increments the iteration counter, it reads
 * {@code model.score()} (the step's loss, computed before the update) and throws {@link TrainingDivergedException}
 * out of {@code fit} when it diverged, naming the iteration (counted from 1, the counter plus one), the loss and
 * {@link Builder#advice(Supplier) what to try}. Add it before the listeners that write files, so that nothing is
 * written from a diverged step. It writes nothing itself.
 *
 * <p>A loss layer that checks its own input stops {@code fit} earlier, before any listener runs: rll4j's
 * {@code RankedListLossLayer} throws {@code NonFiniteEmbeddingException} for a NaN or infinite embedding (NaN
 * inputs or weights). A loop that wants the guard's message for it too catches it and throws
 * {@link #diverged(long, String, Throwable)}, as the rll4j runner does.
 *
 * <h2>Compared with DL4J</h2>
 * DL4J has no divergence check for a plain {@code fit}: {@code InvalidScoreIterationTerminationCondition} and
 * {@code MaxScoreIterationTerminationCondition} exist only for its early-stopping trainer (its own loop, which
 * also ends training silently instead of saying what to try), and {@code ScoreIterationListener} only logs the
 * score. The idea and the actionable message come from DJL's {@code DivergenceCheckTrainingListener}.
 */
public final class DivergenceGuardListener extends BaseTrainingListener {

    /** Scores above this many times {@link Builder#maxLoss(double)} count as diverged. */
    public static final double DIVERGED_FACTOR = 100;
    /** A mean score since the last checkpoint above this many times {@link Builder#maxLoss(double)} is not checkpointed. */
    public static final double CHECKPOINT_FACTOR = 2;

    /** The advice when none is given. */
    public static final String DEFAULT_ADVICE = "Try a smaller learning rate or a larger batch, and continue from the "
            + "last checkpoint written before this iteration (ResumableCheckpointListener.resume), not from this network";

    private final double maxLoss;
    private final Supplier<String> advice;

    private DivergenceGuardListener(Builder b) {
        if (!(b.maxLoss > 0)) {
            throw new IllegalArgumentException("maxLoss must be > 0 (Infinity for a loss without a bound), found " + b.maxLoss);
        }
        this.maxLoss = b.maxLoss;
        this.advice = Objects.requireNonNull(b.advice, "advice must not be null");
    }

    /** A builder; every setting is optional. */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the largest score the loss alone can reach (infinite when it has no bound) */
    public double maxLoss() {
        return maxLoss;
    }

    /**
     * What is wrong with a step's score, or null when it is healthy.
     *
     * @param score the step's score
     * @return e.g. {@code "the loss is NaN"}, or null
     */
    public String problem(double score) {
        if (!Double.isFinite(score)) {
            return "the loss is " + score;
        }
        if (score > DIVERGED_FACTOR * maxLoss) {
            return String.format(Locale.ROOT, "the loss is %.4g, far above the %.4g the loss can reach "
                    + "(the weights are growing without limit)", score, maxLoss);
        }
        return null;
    }

    /**
     * Why the network must not be checkpointed, or null when it may be.
     *
     * @param model the network
     * @param meanLoss the mean score since the previous checkpoint (NaN when there was no step since)
     * @return the reason, or null
     */
    public String checkpointProblem(Model model, double meanLoss) {
        double last = model.score();
        if (!Double.isFinite(last)) {
            return "the loss is " + last;
        }
        if (!Double.isFinite(model.params().sumNumber().doubleValue())) {
            return "a parameter is NaN or infinite";
        }
        if (Double.isInfinite(meanLoss) || meanLoss > CHECKPOINT_FACTOR * maxLoss) {
            return String.format(Locale.ROOT, "the mean loss since the last checkpoint, %.4g, is above the %.4g the "
                    + "loss can reach", meanLoss, maxLoss);
        }
        return null;
    }

    /**
     * The exception this guard throws, for a divergence found elsewhere (e.g. a loss layer that rejected a
     * non-finite embedding).
     *
     * @param iteration the iteration, counted from 1
     * @param problem what went wrong
     * @param cause the underlying error, or null
     * @return the exception, with the guard's message
     */
    public TrainingDivergedException diverged(long iteration, String problem, Throwable cause) {
        return new TrainingDivergedException(iteration, problem, String.format(Locale.ROOT,
                "training diverged at iteration %d: %s. %s", iteration, problem, advice.get()), cause);
    }

    /**
     * Checks the step's score.
     *
     * @throws TrainingDivergedException when it diverged
     */
    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        String p = problem(model.score());
        if (p != null) {
            throw diverged(iteration + 1L, p, null);
        }
    }

    @Override
    public String toString() {
        return "DivergenceGuardListener{maxLoss=" + maxLoss + "}";
    }

    /** Validating builder. */
    public static final class Builder {
        private double maxLoss = Double.POSITIVE_INFINITY;
        private Supplier<String> advice = () -> DEFAULT_ADVICE;

        private Builder() {
        }

        /**
         * The largest score the loss alone can reach, {@code > 0}: for rll4j's losses on normalised embeddings
         * {@code heads x maxBatchMean} of the loss's config (see the class comment). Default infinity: no bound,
         * only non-finite scores and parameters count.
         */
        public Builder maxLoss(double maxLoss) {
            this.maxLoss = maxLoss;
            return this;
        }

        /**
         * What to try, the end of the message (asked for when it diverges, so it can name the state then, e.g.
         * the last checkpoint); default {@link DivergenceGuardListener#DEFAULT_ADVICE}.
         */
        public Builder advice(Supplier<String> advice) {
            this.advice = advice;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException when {@code maxLoss} is not positive
         */
        public DivergenceGuardListener build() {
            return new DivergenceGuardListener(this);
        }
    }
}
