package org.rll4j.listeners;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.api.Model;

/**
 * Keeps the best network by one retrieval metric: told about every evaluation of a
 * {@link RetrievalEvaluationListener} (register it with {@code callback(best)}), it writes the network to its file
 * whenever the metric is higher than at every evaluation before (all retrieval metrics are higher-is-better). The
 * write is atomic ({@link AtomicFiles}: temporary file, fsync, rename), so a kill mid-write leaves the previous best
 * model, never a truncated zip; the file holds the weights without updater state, with the iteration counter of
 * the evaluated step (also when the evaluation ran inside {@code iterationDone}, before DL4J counted the step).
 *
 * <pre>{@code
 * BestModelListener best = BestModelListener.builder().metric("map@r").file(dir.resolve("best.zip")).build();
 * RetrievalEvaluationListener evaluation = RetrievalEvaluationListener.builder().data(heldOut).every(50)
 *         .callback(best).build();
 * }</pre>
 *
 * <p>It is a callback of the evaluation listener rather than a {@code TrainingListener} of its own: it has nothing
 * to do at an iteration without an evaluation, and a listener of the network could not tell whether the
 * evaluation of the same iteration has run yet. To continue a run, give it the best value and iteration a
 * {@link ResumableCheckpointListener} saved ({@link Builder#resumeFrom(CheckpointState)}); that listener saves them
 * when it is told about this one ({@code bestModel(best)}).
 *
 * <p>Compared with DL4J: its early-stopping trainer keeps a best model ({@code LocalFileGraphSaver}), but only
 * inside that trainer's own loop, by a score (lower is better) and written in place; {@code CheckpointListener}
 * keeps the last N or every Nth checkpoint, never the best. Not thread-safe: one per evaluation listener.
 */
public final class BestModelListener implements RetrievalEvaluationListener.Callback {

    private final String metric;
    private final Path file;
    private double bestValue;
    private long bestIteration;

    private BestModelListener(Builder b) {
        if (b.metric == null || b.metric.isBlank()) {
            throw new IllegalArgumentException("metric must not be blank (e.g. \"recall@1\", \"map@r\", \"nmi\"), found "
                    + (b.metric == null ? "null" : "\"" + b.metric + "\""));
        }
        this.metric = b.metric.toLowerCase(Locale.ROOT);
        this.file = Objects.requireNonNull(b.file, "file must be set");
        this.bestValue = b.bestValue;
        this.bestIteration = b.bestIteration;
    }

    /** A builder; the metric and the file are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the metric, lower case as matched */
    public String metric() {
        return metric;
    }

    /** @return where the best model goes */
    public Path file() {
        return file;
    }

    /** @return the best value so far, NaN before the first evaluation */
    public double bestValue() {
        return bestValue;
    }

    /** @return the iteration of the best model, -1 before the first evaluation */
    public long bestIteration() {
        return bestIteration;
    }

    /**
     * Writes the network when this evaluation is the best so far.
     *
     * @throws IllegalStateException when the evaluation has no such metric
     * @throws IOException naming the file when writing it fails (the previous best file is left as it was)
     */
    @Override
    public void evaluated(Model model, RetrievalEvaluationListener.Result result) throws IOException {
        double v = value(result.values(), metric);
        if (Double.isNaN(bestValue) || v > bestValue) {
            Models.write(file, model, false, result.iteration());
            bestValue = v;
            bestIteration = result.iteration();
        }
    }

    /**
     * The value of a metric among an evaluation's values. The name matches a value's name ignoring case, or its part
     * before a parenthesis: {@code "recall@1"} finds {@code Recall@1}, {@code "nmi"} finds
     * {@code NMI (arithmetic)}, {@code "map@r"} finds {@code MAP@R}.
     *
     * @param values metric name to value, as {@code RetrievalReport.values()} names them
     * @param metric the name to find
     * @return its value
     * @throws IllegalStateException naming the metrics there are when it is not among them
     */
    public static double value(Map<String, Double> values, String metric) {
        String name = metric.toLowerCase(Locale.ROOT);
        for (Map.Entry<String, Double> e : values.entrySet()) {
            String k = e.getKey().toLowerCase(Locale.ROOT);
            int paren = k.indexOf(" (");
            if (k.equals(name) || paren > 0 && k.substring(0, paren).equals(name)) {
                return e.getValue();
            }
        }
        throw new IllegalStateException("metric " + metric + " is not in the evaluation " + values.keySet());
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "BestModelListener{metric=%s, file=%s, best=%s at iteration %d}", metric, file,
                bestValue, bestIteration);
    }

    /** Validating builder. */
    public static final class Builder {
        private String metric;
        private Path file;
        private double bestValue = Double.NaN;
        private long bestIteration = -1;

        private Builder() {
        }

        /**
         * The metric that picks the best model (required), matched as {@link BestModelListener#value} says: e.g.
         * {@code "recall@1"}, {@code "map@r"}, {@code "nmi"}. The evaluator must compute it.
         */
        public Builder metric(String metric) {
            this.metric = metric;
            return this;
        }

        /** The file of the best model (required), e.g. {@code best.zip}; its folder is created when needed. */
        public Builder file(Path file) {
            this.file = file;
            return this;
        }

        /**
         * Continues a run: the best value and iteration so far (NaN and -1 for none); only a better evaluation
         * replaces the file.
         */
        public Builder resumeFrom(double bestValue, long bestIteration) {
            this.bestValue = bestValue;
            this.bestIteration = bestIteration;
            return this;
        }

        /** Continues a run from a checkpoint's best value and iteration. */
        public Builder resumeFrom(CheckpointState state) {
            return resumeFrom(state.bestValue(), state.bestIteration());
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException when the metric is blank
         * @throws NullPointerException when the file is not set
         */
        public BestModelListener build() {
            return new BestModelListener(this);
        }
    }
}
