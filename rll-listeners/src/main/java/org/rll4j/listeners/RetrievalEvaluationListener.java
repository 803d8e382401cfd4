package org.rll4j.listeners;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

import org.deeplearning4j.core.storage.StatsStorageRouter;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.eval.RetrievalEvaluation;
import org.rll4j.eval.RetrievalEvaluator;
import org.rll4j.eval.RetrievalReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates retrieval on held-out data while a network trains: every N iterations and/or at the end of every
 * epoch it embeds a held-out {@link DataSetIterator} (classes the network does not train on, for the
 * class-disjoint protocol of metric learning), evaluates the embeddings with a {@link RetrievalEvaluator}
 * (Recall@K, MAP@R, NMI...), records the metrics to a {@link StatsStorageRouter} as {@link RetrievalStats} (the
 * training UI's retrieval page charts them, next to the {@code StatsListener}'s pages), logs them (INFO), and hands
 * each {@link Result} to its {@link Callback}s: {@link BestModelListener} keeps the best model from them.
 *
 * <pre>{@code
 * RetrievalEvaluationListener evaluation = RetrievalEvaluationListener.builder()
 *         .data(heldOut)                                   // e.g. new ViewIterator(new DataSet(x, ids), 256)
 *         .every(50)                                       // and/or .atEpochEnd(true)
 *         .stats(statsStorage, statsListener.getSessionID())
 *         .callback(best)
 *         .build();
 * net.setListeners(statsListener, evaluation);
 * }</pre>
 *
 * <h2>When it runs</h2>
 * <ul>
 *   <li>{@code iterationDone(model, iteration, epoch)}: DL4J calls it after the step's update and before it
 *       increments the iteration counter, so {@code iteration + 1} steps are done; the listener evaluates when that
 *       number is a multiple of {@link Builder#every(int)} (and below {@link Builder#before(long)}), and records the
 *       evaluation under it: the evaluation at iteration 50 is of the network trained for 50 steps.</li>
 *   <li>{@code onEpochEnd} (with {@link Builder#atEpochEnd(boolean)}): after the epoch's last step, counters
 *       already incremented; skipped when {@code iterationDone} just evaluated the same iteration.</li>
 *   <li>{@link #evaluate(Model)} and {@link #evaluate(Model, long, int)}: on demand, e.g. once more after
 *       {@code fit} returns, for the final numbers.</li>
 * </ul>
 * An evaluation runs in inference mode ({@code output(train = false)}) and changes neither the parameters nor the
 * updater, so training goes on exactly as without it; it costs a forward pass over the held-out data and the
 * evaluator's k-NN search (and k-means when NMI is on).
 *
 * <h2>What it evaluates</h2>
 * Either {@link Builder#data(DataSetIterator)}: every example of the iterator once per evaluation (it is reset
 * first when it supports reset; use a plain sequential iterator such as ND4J's {@code ViewIterator}, not a
 * class-balanced sampler), labels as class ids {@code [B, 1]} or one-hot {@code [B, C]}, embedded by
 * {@link Builder#embedding(Embedding)} (default: the network's output; for several outputs, e.g. the heads of
 * RLL-(L,M,H), their concatenation; rll4j's loss layers output the L2-normalised embedding), a per-example
 * labels mask leaving rows out. Or
 * {@link Builder#evaluation(Evaluation)}: any evaluation that returns a {@link RetrievalReport}, e.g. a
 * query/gallery protocol.
 *
 * <h2>Compared with DL4J</h2>
 * DL4J's {@code EvaluativeListener} with rll-eval's {@link RetrievalEvaluation} (an {@code IEvaluation}) evaluates
 * retrieval every N iterations or epochs and logs it: use it when a log line is all you need. This listener is
 * for what it does not do: the results go into the {@code StatsStorage} the {@code StatsListener} fills, under its
 * session, where the UI's retrieval page charts them (DL4J's pages chart only the score, DL4J issue #4248); they
 * go on to a {@link BestModelListener} and into the checkpoints' state; an evaluation is recorded under the steps
 * done; the schedule can leave the end to an explicit {@link #evaluate(Model, long, int)}; and an evaluation of
 * one's own (query/gallery, images read from disk) can replace the held-out iterator. The held-out path gathers
 * the embeddings with a {@code RetrievalEvaluation}, so both compute the same numbers. Not thread-safe: one
 * listener per network.
 */
public final class RetrievalEvaluationListener extends ScheduledListener {

    /** The worker id of the records when none is given. */
    public static final String DEFAULT_WORKER = "rll4j-evaluation";

    private static final Logger log = LoggerFactory.getLogger(RetrievalEvaluationListener.class);

    /** How a network is evaluated, when not from a held-out iterator. */
    @FunctionalInterface
    public interface Evaluation {
        /**
         * @param model the network in training
         * @return its retrieval report
         * @throws IOException when reading the evaluation data fails
         */
        RetrievalReport evaluate(Model model) throws IOException;
    }

    /** How a batch of held-out features becomes embeddings. */
    @FunctionalInterface
    public interface Embedding {
        /**
         * @param model the network
         * @param features a batch of held-out features
         * @return one embedding per example, {@code [B, D]}
         */
        INDArray embed(Model model, INDArray features);
    }

    /** Told about every evaluation, after it is recorded. */
    @FunctionalInterface
    public interface Callback {
        /**
         * @param model the network that was evaluated, as it stands (do not train it here)
         * @param result the evaluation
         * @throws IOException when what the callback writes fails
         */
        void evaluated(Model model, Result result) throws IOException;
    }

    /**
     * One evaluation.
     *
     * @param iteration training iterations done when it was taken
     * @param epoch the epoch then (DL4J's epoch counter, unless given to {@link #evaluate(Model, long, int)})
     * @param report the retrieval report
     */
    public record Result(long iteration, int epoch, RetrievalReport report) {
        /** @return metric name to value, names as in {@link RetrievalReport#values()} (e.g. {@code Recall@1}) */
        public Map<String, Double> values() {
            return report.values();
        }
    }

    private final DataSetIterator data;
    private final RetrievalEvaluator evaluator;
    private final Embedding embedding;
    private final Evaluation evaluation;
    private final long before;
    private final StatsStorageRouter router;
    private final String sessionId;
    private final String workerId;
    private final List<Callback> callbacks;
    private Result last;
    private long lastTimestamp = Long.MIN_VALUE;

    private RetrievalEvaluationListener(Builder b) {
        super(b.every, b.atEpochEnd);
        if ((b.data == null) == (b.evaluation == null)) {
            throw new IllegalArgumentException("give either data(heldOut iterator) or evaluation(custom evaluation), found "
                    + (b.data == null ? "neither" : "both"));
        }
        if (b.evaluation != null && (b.evaluator != null || b.embedding != null)) {
            throw new IllegalArgumentException("evaluator and embedding apply to data(...); a custom evaluation(...) embeds "
                    + "and evaluates itself");
        }
        if (b.before < 1) {
            throw new IllegalArgumentException("before must be >= 1 iterations, found " + b.before);
        }
        if (b.router != null && (b.sessionId == null || b.sessionId.isBlank())) {
            throw new IllegalArgumentException("sessionId must not be blank, found "
                    + (b.sessionId == null ? "null" : "\"" + b.sessionId + "\""));
        }
        if (b.workerId == null || b.workerId.isBlank()) {
            throw new IllegalArgumentException("workerId must not be blank, found "
                    + (b.workerId == null ? "null" : "\"" + b.workerId + "\""));
        }
        this.data = b.data;
        this.evaluator = b.evaluator != null ? b.evaluator : RetrievalEvaluator.builder().build();
        this.embedding = b.embedding != null ? b.embedding : RetrievalEvaluationListener::outputs;
        this.evaluation = b.evaluation;
        this.before = b.before;
        this.router = b.router;
        this.sessionId = b.sessionId;
        this.workerId = b.workerId;
        this.callbacks = List.copyOf(b.callbacks);
    }

    /** A builder; {@code data} or {@code evaluation} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the session the records go under, or null when nothing is recorded */
    public String sessionId() {
        return sessionId;
    }

    /** @return the latest evaluation, or null before the first */
    public Result last() {
        return last;
    }

    /** Evaluates on the schedule (see the class comment), below {@link Builder#before(long)}, an iteration once. */
    @Override
    void act(Model model, long iterations, int epoch) throws IOException {
        if (iterations < before && (last == null || last.iteration() != iterations)) {
            evaluate(model, iterations, epoch);
        }
    }

    /**
     * Evaluates the network now, at its counters (after {@code fit}: the steps done and the current epoch), records
     * and passes on the result.
     *
     * @return the evaluation
     * @throws IOException when the evaluation or a callback fails to read or write
     */
    public Result evaluate(Model model) throws IOException {
        return evaluate(model, Models.iterations(model), Models.epochs(model));
    }

    /**
     * Evaluates the network now and records the result under the given iteration and epoch, then passes it to the
     * callbacks.
     *
     * @param model the network
     * @param iteration training iterations done, {@code >= 0}
     * @param epoch the epoch, {@code >= 0}
     * @return the evaluation
     * @throws IOException when the evaluation or a callback fails to read or write
     */
    public Result evaluate(Model model, long iteration, int epoch) throws IOException {
        Objects.requireNonNull(model, "model");
        RetrievalReport report = evaluation != null ? evaluation.evaluate(model) : evaluateData(model);
        Result r = new Result(iteration, epoch, report);
        if (router != null) {
            lastTimestamp = RetrievalStats.put(router, sessionId, workerId, iteration, epoch, r.values(), lastTimestamp);
        }
        if (log.isInfoEnabled()) {
            StringBuilder sb = new StringBuilder();
            r.values().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.4f", k, v)));
            log.info("retrieval at iteration {} (epoch {}):{}", iteration, epoch, sb);
        }
        last = r;
        for (Callback c : callbacks) {
            c.evaluated(model, r);
        }
        return r;
    }

    /** Embeds every held-out example and evaluates them as one set, gathered by a {@link RetrievalEvaluation}. */
    private RetrievalReport evaluateData(Model model) {
        if (data.resetSupported()) {
            data.reset();
        } else if (!data.hasNext()) {
            throw new IllegalStateException("the held-out iterator has no examples left and cannot be reset; give one "
                    + "that supports reset() (e.g. ViewIterator) to evaluate more than once");
        }
        RetrievalEvaluation gathered = new RetrievalEvaluation(evaluator);
        while (data.hasNext()) {
            DataSet batch = data.next();
            if (batch.getFeatures().size(0) > 0) {
                gathered.eval(batch.getLabels(), embedding.embed(model, batch.getFeatures()), batch.getLabelsMaskArray());
            }
        }
        if (gathered.size() == 0) {
            throw new IllegalStateException("the held-out iterator gave no examples");
        }
        return gathered.report();
    }

    /** The network's output for the features, in inference mode; several outputs concatenated. */
    static INDArray outputs(Model model, INDArray features) {
        if (model instanceof ComputationGraph g) {
            INDArray[] out = g.output(false, features);
            return out.length == 1 ? out[0] : Nd4j.hstack(out);
        }
        if (model instanceof MultiLayerNetwork n) {
            return n.output(features, false);
        }
        throw new IllegalArgumentException("model must be a ComputationGraph or a MultiLayerNetwork, found "
                + model.getClass().getName() + "; give an embedding(...) for it");
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "RetrievalEvaluationListener{every=%d, atEpochEnd=%s, %s, stats=%s}", every(),
                atEpochEnd(), data != null ? evaluator : "custom evaluation", router == null ? "none" : sessionId + "/" + workerId);
    }

    /** Validating builder. */
    public static final class Builder {
        private DataSetIterator data;
        private RetrievalEvaluator evaluator;
        private Embedding embedding;
        private Evaluation evaluation;
        private int every;
        private boolean atEpochEnd;
        private long before = Long.MAX_VALUE;
        private StatsStorageRouter router;
        private String sessionId;
        private String workerId = DEFAULT_WORKER;
        private final List<Callback> callbacks = new ArrayList<>();

        private Builder() {
        }

        /**
         * The held-out examples (this or {@link #evaluation(Evaluation)} is required): features and labels (class
         * ids {@code [B, 1]} or one-hot {@code [B, C]}), every example once per pass, reset before each
         * evaluation when it supports reset.
         */
        public Builder data(DataSetIterator heldOut) {
            this.data = heldOut;
            return this;
        }

        /** The evaluator of the held-out embeddings (with {@link #data}); default {@code RetrievalEvaluator.builder().build()}. */
        public Builder evaluator(RetrievalEvaluator evaluator) {
            this.evaluator = evaluator;
            return this;
        }

        /** How held-out features become embeddings (with {@link #data}); default the network's output(s), see the class comment. */
        public Builder embedding(Embedding embedding) {
            this.embedding = embedding;
            return this;
        }

        /** A whole evaluation of its own instead of {@link #data}: e.g. a query/gallery protocol, or images read from disk. */
        public Builder evaluation(Evaluation evaluation) {
            this.evaluation = evaluation;
            return this;
        }

        /** Evaluates after every {@code n} training iterations, {@code >= 0}; default 0: not by iterations. */
        public Builder every(int n) {
            this.every = n;
            return this;
        }

        /** Evaluates at the end of each epoch; default false. */
        public Builder atEpochEnd(boolean on) {
            this.atEpochEnd = on;
            return this;
        }

        /**
         * Evaluates on the schedule only while fewer than this many iterations are done, {@code >= 1}; default no
         * limit. For a loop that evaluates its last iteration itself with
         * {@link RetrievalEvaluationListener#evaluate(Model, long, int)} (e.g.
         * after saving the final model), so that it is not evaluated twice.
         */
        public Builder before(long iterations) {
            this.before = iterations;
            return this;
        }

        /**
         * Records each evaluation as {@link RetrievalStats} in {@code router} under {@code sessionId} (optional; give
         * the {@code StatsListener}'s {@code getSessionID()} so that the UI shows them with that run).
         */
        public Builder stats(StatsStorageRouter router, String sessionId) {
            this.router = router;
            this.sessionId = sessionId;
            return this;
        }

        /**
         * Records to {@code router} under a new random session id (optional).
         *
         * @see #stats(StatsStorageRouter, String)
         */
        public Builder stats(StatsStorageRouter router) {
            return stats(router, "rll4j-" + UUID.randomUUID());
        }

        /** The worker id of the records; default {@value RetrievalEvaluationListener#DEFAULT_WORKER}. */
        public Builder workerId(String workerId) {
            this.workerId = workerId;
            return this;
        }

        /** Adds a callback, told about every evaluation in the order added (e.g. a {@link BestModelListener}). */
        public Builder callback(Callback callback) {
            this.callbacks.add(Objects.requireNonNull(callback, "callback must not be null"));
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the setting: neither or both of data and evaluation, a negative
         *         {@code every}, a blank session or worker id
         */
        public RetrievalEvaluationListener build() {
            return new RetrievalEvaluationListener(this);
        }
    }
}
