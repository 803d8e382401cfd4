package org.rll4j.app.run;

import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Tells a diverging run from a healthy one, from what the loss can and cannot be.
 *
 * <p>With L2-normalised embeddings every distance lies in [0, 2], so each loss's batch mean has an upper
 * bound (for the Ranked List Loss {@code (2 - (alpha - m)) + lambda * alpha}, both hinges at their largest;
 * {@code RankedListLossConfig.maxBatchMean}, {@code MetricLossConfig.maxBatchMean}), and a network's score
 * (the sum of its heads' batch means) is at most {@code heads} times that: the <em>bound</em>. A score above
 * it comes from the regularisation terms DL4J adds to the score, i.e. from weights growing without
 * limit. The losses on raw embeddings (lifted structure, N-pair) have no bound (it is infinite): for them only
 * a non-finite score or parameter counts. Hence:
 * <ul>
 *   <li><b>diverged</b> (stop now): the score is NaN or infinite, or larger than
 *       {@value #DIVERGED_FACTOR} x the bound;</li>
 *   <li><b>fit to checkpoint</b>: the parameters are all finite and the mean score since the previous
 *       checkpoint is at most {@value #CHECKPOINT_FACTOR} x the bound; otherwise the checkpoint is not
 *       written and the previous one stays the one to resume from.</li>
 * </ul>
 */
final class DivergenceGuard {

    static final double DIVERGED_FACTOR = 100;
    static final double CHECKPOINT_FACTOR = 2;

    private final double bound;
    private double sum;
    private long count;

    /**
     * @param maxBatchMean the loss's largest batch mean (one head)
     * @param heads loss outputs of the network (3 for RLL-(L,M,H))
     */
    DivergenceGuard(double maxBatchMean, int heads) {
        this.bound = heads * maxBatchMean;
    }

    /** The largest score the loss alone can reach. */
    double bound() {
        return bound;
    }

    /** Null when the score is healthy (and counts it), else what is wrong. */
    String check(double score) {
        if (!Double.isFinite(score)) {
            return "the loss is " + score;
        }
        if (score > DIVERGED_FACTOR * bound) {
            return String.format(java.util.Locale.ROOT, "the loss is %.4g, far above the %.4g the loss can reach "
                    + "(the weights are growing without limit)", score, bound);
        }
        sum += score;
        count++;
        return null;
    }

    /** Mean score since the last {@link #checkpointProblem}, NaN before any. */
    double recentMean() {
        return count == 0 ? Double.NaN : sum / count;
    }

    /** Null when the network may be checkpointed, else why not; starts a new window of scores either way. */
    String checkpointProblem(ComputationGraph net) {
        double mean = recentMean();
        sum = 0;
        count = 0;
        if (!Double.isFinite(net.params().sumNumber().doubleValue())) {
            return "a parameter is NaN or infinite";
        }
        if (mean > CHECKPOINT_FACTOR * bound) {
            return String.format(java.util.Locale.ROOT, "the mean loss since the last checkpoint, %.4g, is above the %.4g the "
                    + "loss can reach", mean, bound);
        }
        return null;
    }
}
