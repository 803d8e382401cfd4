package org.rll4j.app.run;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;

import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.ui.model.stats.StatsListener;
import org.deeplearning4j.ui.model.storage.FileStatsStorage;
import org.nd4j.linalg.dataset.DataSet;
import org.rll4j.app.config.RunConfig;
import org.rll4j.app.report.HtmlReport;
import org.rll4j.app.report.Plots;
import org.rll4j.data.SampledDataSetIterator;
import org.rll4j.listeners.AtomicFiles;
import org.rll4j.listeners.BestModelListener;
import org.rll4j.listeners.CheckpointState;
import org.rll4j.listeners.DivergenceGuardListener;
import org.rll4j.listeners.ResumableCheckpointListener;
import org.rll4j.listeners.RetrievalEvaluationListener;
import org.rll4j.listeners.TrainingDivergedException;
import org.rll4j.loss.NonFiniteEmbeddingException;
import org.rll4j.models.EmbeddingModel;
import org.rll4j.sampler.ClassBalancedBatchSampler;
import org.rll4j.spark.SparkEmbeddingTrainer;
import org.rll4j.spark.SparkTrainingSettings;

/**
 * Trains an embedding model as a {@link RunConfig} says, in a run directory: C x K batches from the
 * training classes, DL4J stats for the training UI ({@code stats.dl4j}), retrieval evaluations on the
 * unseen test classes every N iterations and at the end, checkpoints every N iterations and at the
 * end, the best model by the chosen metric, the final model, and the metrics files. A run can be
 * resumed from its last checkpoint ({@link #resume}) and then continues exactly where it stopped.
 *
 * <p>The training loop is the composition of rll-listeners' DL4J listeners, set on the network so that
 * every {@code fit} runs them, in this order: DL4J's {@code StatsListener} (the UI's data), the
 * {@link DivergenceGuardListener}, the run's loss log and progress bar, the
 * {@link RetrievalEvaluationListener} (recording to the stats file, with a {@link BestModelListener}
 * and the metrics log as its callbacks) and the {@link ResumableCheckpointListener} (the metrics log
 * written with each checkpoint). What is left here is the run itself: the batches (several heads get
 * the same labels), stopping after N iterations, a checkpoint at the end and after an error, the
 * final model, evaluation and report.
 */
public final class Trainer {

    /** Told about a run's progress (the UI's retrieval page, tests). */
    public interface Listener {
        /** The stats storage and session are ready. */
        default void started(StatsStorage storage, String sessionId) {
        }

        /**
         * Training is about to start (or continue) with this network; e.g. to add DL4J listeners (with
         * {@code addListeners}: {@code setListeners} would drop the run's own). On Spark ({@code spark.master}) the
         * network is the driver's, which fits nothing: DL4J listeners added to it are not run, and the run warns.
         */
        default void training(ComputationGraph network) {
        }

        /** The run is over (finished, stopped or failed); its stats storage closes right after this. */
        default void finished() {
        }

        /** An evaluation finished (baselines too). */
        default void evaluated(MetricsLog.Evaluation evaluation) {
        }
    }

    /** Files of a run directory. */
    public static final String CONFIG_FILE = "config.yaml";
    /** DL4J stats (training UI) file. */
    public static final String STATS_FILE = "stats.dl4j";
    /** Final model. */
    public static final String FINAL_MODEL = "model.zip";
    /** HTML retrieval report. */
    public static final String REPORT = "report.html";
    /** Loss chart. */
    public static final String LOSS_PLOT = "loss.png";
    /** Metrics chart. */
    public static final String METRICS_PLOT = "metrics.png";
    /** Best model by the configured metric. */
    public static final String BEST_MODEL = "best.zip";
    /** DL4J's Spark timing stats of a Spark run with {@code spark.collectStats}. */
    public static final String SPARK_STATS = "spark-stats.html";

    private final RunConfig config;
    private final Path runDir;
    private final PrintStream out;
    private final List<Listener> listeners = new ArrayList<>();
    private long stopAfter = Long.MAX_VALUE;
    /** Posts the run's stats to {@code ui.remote}, when set (one per run). */
    private org.deeplearning4j.core.storage.impl.RemoteUIStatsStorageRouter remoteRouter;
    private boolean overwrite;

    /**
     * @param config the run's settings
     * @param runDir the run directory (created if missing; it must not hold another run unless
     *               {@link #overwrite(boolean)}, nor anything else)
     * @param out where progress and tables go
     */
    public Trainer(RunConfig config, Path runDir, PrintStream out) {
        this.config = config;
        this.runDir = runDir;
        this.out = out;
    }

    /** Adds a listener. */
    public Trainer listener(Listener l) {
        listeners.add(l);
        return this;
    }

    /** Whether a run already in the run directory may be replaced (its files are deleted first); default false. */
    public Trainer overwrite(boolean replace) {
        this.overwrite = replace;
        return this;
    }

    /**
     * Stops (after writing a checkpoint) once this many iterations are done, as if the process had been
     * killed right after that checkpoint; for tests of {@link #resume}.
     */
    public Trainer stopAfter(long iterations) {
        this.stopAfter = iterations;
        return this;
    }

    /** What a finished (or stopped) run produced. */
    public record Result(Path runDir, long iterations, boolean finished, MetricsLog metrics, ComputationGraph network) {
    }

    /**
     * Trains from scratch. Everything that can be checked (the dataset, the sampler's C x K against
     * the classes, the model) is checked before the run directory is touched; a start that fails
     * before the first checkpoint removes the run directory it created.
     *
     * @param provenance comment lines for the top of the config snapshot
     */
    public Result train(String provenance) throws IOException {
        RunData data = RunData.open(config.dataset());
        sampler(data);
        EmbeddingModel model = ModelFactory.build(config);
        ComputationGraph net = model.network();
        try (RunDirectory dir = RunDirectory.create(runDir, overwrite)) {
            boolean ok = false;
            try {
                AtomicFiles.writeString(runDir.resolve(CONFIG_FILE), provenance
                        + org.rll4j.app.config.ConfigLoader.toYaml(config.withAbsolutePaths()));
                out.println(data.description());
                out.printf(Locale.ROOT, "model: %s + %s head(s), D = %d, %,d parameters%n", model.backbone(),
                        config.model().multiLevel() ? "3" : "1", config.model().embeddingDim(), net.numParams());
                MetricsLog log = new MetricsLog();
                String session = "rll4j-" + UUID.randomUUID();
                StatsStorage storage = openStorage(session, false);
                try {
                    RetrievalRun eval = new RetrievalRun(data, config.evaluation(), config.seed());
                    if (config.evaluation().baselines()) {
                        record(log, new MetricsLog.Evaluation("raw pixels", 0, 0, 0, eval.rawPixels().values()));
                        record(log, new MetricsLog.Evaluation("untrained", 0, 0, 0, eval.network(net).values()));
                    }
                    Result r = loop(data, net, log, eval, null, session, storage);
                    ok = true;
                    return r;
                } finally {
                    listeners.forEach(Listener::finished);
                    close(storage);
                }
            } finally {
                if (!ok && dir.discardIfNew()) {
                    out.println("the run failed before its first checkpoint; its run directory " + runDir + " was removed");
                }
            }
        }
    }

    /** The C x K sampler over the training classes; a C larger than the classes is a config error naming the key. */
    private ClassBalancedBatchSampler sampler(RunData data) {
        return sampler(config, data);
    }

    /** The C x K sampler of a config over its training classes (executors build it again: {@link SparkBatches}). */
    static ClassBalancedBatchSampler sampler(RunConfig config, RunData data) {
        RunConfig.Sampler s = config.sampler();
        try {
            return ClassBalancedBatchSampler.builder().labels(data.train().labels()).classesPerBatch(s.classesPerBatch())
                    .samplesPerClass(s.imagesPerClass()).seed(config.seed()).build();
        } catch (IllegalArgumentException e) {
            throw new org.rll4j.app.config.ConfigException("sampler: " + e.getMessage() + " (sampler.classesPerBatch, "
                    + "sampler.imagesPerClass; the training classes: " + data.description() + ")", e);
        }
    }

    private StatsStorage openStorage(String session, boolean resuming) throws IOException {
        Path file = runDir.resolve(STATS_FILE);
        StatsStorage storage;
        try {
            storage = new FileStatsStorage(file.toFile());
            storage.listSessionIDs();
        } catch (RuntimeException e) {
            if (!resuming) {
                throw e;
            }
            Path aside = runDir.resolve(STATS_FILE + ".unreadable-" + System.currentTimeMillis());
            Files.move(file, aside);
            out.printf(Locale.ROOT, "warning: the DL4J stats file %s cannot be read (%s); it was moved to %s and a new one "
                    + "started: the training UI shows this run from here on%n", file, e, aside);
            storage = new FileStatsStorage(file.toFile());
        }
        StatsStorage opened = storage;
        listeners.forEach(l -> l.started(opened, session));
        return storage;
    }

    /**
     * Where the run's DL4J stats go: its stats file, and also the remote UI of {@code ui.remote} when there is one
     * (if that UI is down or goes away, DL4J's remote router logs it and the run goes on).
     */
    private org.deeplearning4j.core.storage.StatsStorageRouter router(StatsStorage storage) {
        String remote = config.ui().remote();
        if (remote.isEmpty()) {
            return storage;
        }
        if (remoteRouter == null) {
            remoteRouter = new org.deeplearning4j.core.storage.impl.RemoteUIStatsStorageRouter(remote);
        }
        return StatsRouters.both(storage, remoteRouter);
    }

    /** Closes the run's stats: the remote router (after it has posted what it holds), then the file. */
    private void close(StatsStorage storage) throws IOException {
        try {
            if (remoteRouter != null) {
                StatsRouters.closeWhenPosted(remoteRouter, 30_000);
                remoteRouter = null;
            }
        } finally {
            storage.close();
        }
    }

    /**
     * The config a run directory records.
     *
     * @throws IOException when it cannot be read
     */
    public static RunConfig recordedConfig(Path runDir) throws IOException {
        return recordedConfig(runDir, List.of());
    }

    /**
     * The config a run directory records, with {@code key=value} overrides applied.
     *
     * @throws IOException when it cannot be read
     */
    public static RunConfig recordedConfig(Path runDir, List<String> overrides) throws IOException {
        Path file = runDir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null,
                    "not a run directory written by ./rll train (it has no " + CONFIG_FILE + ")");
        }
        return org.rll4j.app.config.ConfigLoader.load(file, overrides);
    }

    /** Continues a run from its last checkpoint with the config it recorded. */
    public static Result resume(Path runDir, PrintStream out, List<Listener> listeners) throws IOException {
        return resume(runDir, null, "", out, listeners);
    }

    /**
     * Continues a run from its last checkpoint, with changes to the settings that may change mid-run
     * ({@link ResumeChanges}), which are recorded in the run's {@code config.yaml}.
     *
     * @param runDir the run directory
     * @param requested the config to continue with, or null for the recorded one
     * @param commandLine the command line, recorded with the changes
     * @param out where progress goes
     * @param listeners told about the run
     * @throws org.rll4j.app.config.ConfigException when {@code requested} changes a setting that cannot change mid-run
     */
    public static Result resume(Path runDir, RunConfig requested, String commandLine, PrintStream out, List<Listener> listeners)
            throws IOException {
        try (RunDirectory dir = RunDirectory.open(runDir)) {
            for (Path p : dir.removeLeftovers()) {
                out.println("removed " + p + " (left by a write that was interrupted)");
            }
            RunConfig recorded = recordedConfig(runDir);
            CheckpointState c = Checkpoint.read(runDir);
            RunConfig config = recorded;
            List<String> changes = List.of();
            if (requested != null) {
                changes = ResumeChanges.check(recorded, requested.withAbsolutePaths());
                if (!changes.isEmpty()) {
                    config = requested.withAbsolutePaths();
                    String text = Files.readString(runDir.resolve(CONFIG_FILE));
                    StringBuilder header = new StringBuilder();
                    for (String line : text.split("\n", -1)) {
                        if (!line.startsWith("#")) {
                            break;
                        }
                        header.append(line).append('\n');
                    }
                    header.append("# resumed:   at iteration ").append(c.iteration()).append(", ").append(java.time.Instant.now())
                            .append(", changed ").append(String.join(", ", changes)).append(commandLine.isEmpty() ? ""
                                    : " (" + commandLine + ")").append('\n');
                    AtomicFiles.writeString(runDir.resolve(CONFIG_FILE), header + org.rll4j.app.config.ConfigLoader.toYaml(config));
                }
            }
            Trainer t = new Trainer(config, runDir, out);
            t.listeners.addAll(listeners);
            out.printf(Locale.ROOT, "resuming %s at iteration %d (epoch %d, batch %d)%s%n", runDir, c.iteration(), c.epoch(),
                    c.batchInEpoch(), changes.isEmpty() ? "" : " with " + String.join(", ", changes));
            RunData data = RunData.open(config.dataset());
            long total = config.training().totalIterations(t.sampler(data).batchesPerEpoch());
            if (c.iteration() >= total && Files.exists(runDir.resolve(FINAL_MODEL))) {
                throw new org.rll4j.app.config.ConfigException(String.format(Locale.ROOT, "the run in %s is finished (%d of %d "
                        + "iterations); to train it longer, resume with a larger training.epochs or training.iterations "
                        + "(e.g. --set training.iterations=%d)", runDir, c.iteration(), total, 2 * total));
            }
            MetricsLog log = MetricsLog.read(runDir);
            log.truncateAfter(c.iteration());
            RetrievalRun eval = new RetrievalRun(data, config.evaluation(), config.seed());
            ComputationGraph net = c.restore(Checkpoint.folder(runDir));
            if (!recorded.optimizer().equals(config.optimizer())) {
                net = ModelFactory.withOptimizer(net, config);
            }
            StatsStorage storage = t.openStorage(c.statsSession(), true);
            try {
                return t.loop(data, net, log, eval, c, c.statsSession(), storage);
            } finally {
                listeners.forEach(Listener::finished);
                t.close(storage);
            }
        }
    }

    /**
     * The run's own listener, right after the divergence guard: it records each step's loss (in the
     * metrics log, which checkpoints write) and redraws the progress bar, and tells the loop whether the
     * step's update is done.
     */
    private static final class StepLog extends BaseTrainingListener {
        private final MetricsLog log;
        private final Progress progress;
        private final DoubleSupplier clock;
        private final double secondsBefore;
        private final long firstIteration;
        /** Between handing a batch to fit and its update being done. */
        boolean inStep;
        /** Steps done, as of the last step (DL4J's counter lags by one while the listeners run). */
        long done;
        /** Training time at the end of the last step, for the evaluations of that step. */
        double seconds;

        StepLog(MetricsLog log, Progress progress, DoubleSupplier clock, double secondsBefore, long firstIteration) {
            this.log = log;
            this.progress = progress;
            this.clock = clock;
            this.secondsBefore = secondsBefore;
            this.firstIteration = firstIteration;
            this.done = firstIteration;
            this.seconds = secondsBefore;
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            inStep = false;
            done = iteration + 1L;
            double loss = model.score();
            log.loss(done, epoch, loss);
            seconds = clock.getAsDouble();
            progress.update(done, epoch, loss, seconds - secondsBefore, done - firstIteration);
        }
    }

    /**
     * Trains from {@code at} (null: from the start) to the configured length, with the listeners of the
     * class comment, then writes the final model, evaluates it and writes the report.
     */
    private Result loop(RunData data, ComputationGraph net, MetricsLog log, RetrievalRun eval, CheckpointState at, String session,
                        StatsStorage storage) throws IOException {
        RunConfig.Sampler s = config.sampler();
        ClassBalancedBatchSampler sampler = sampler(data);
        long total = config.training().totalIterations(sampler.batchesPerEpoch());
        RunConfig.Optimizer o = config.optimizer();
        out.printf(Locale.ROOT, "training: %d iterations (%.1f epochs of %d batches) of %d classes x %d images, %s lr %s%s%n",
                total, total / (double) sampler.batchesPerEpoch(), sampler.batchesPerEpoch(), s.classesPerBatch(),
                s.imagesPerClass(), o.type(), o.learningRate(), ModelFactory.schedule(o) == null ? ""
                        : String.format(Locale.ROOT, " x %s every %d iterations", o.decay(), o.decayEvery()));
        double secondsBefore = at == null ? 0 : at.seconds();
        long startNanos = System.nanoTime();
        DoubleSupplier clock = () -> secondsBefore + (System.nanoTime() - startNanos) / 1e9;
        Progress progress = new Progress(out, total, sampler.batchSize());
        StepLog step = new StepLog(log, progress, clock, secondsBefore, at == null ? 0 : at.iteration());
        RetrievalRun.Result[] lastEvaluated = new RetrievalRun.Result[1];
        AtomicReference<ResumableCheckpointListener> checkpointsRef = new AtomicReference<>();
        DivergenceGuardListener guard = DivergenceGuardListener.builder()
                .maxLoss(net.getNumOutputArrays() * config.loss().maxBatchMean(sampler.batchSize()))
                .advice(() -> advice(checkpointsRef.get().last())).build();
        BestModelListener best = BestModelListener.builder().metric(config.evaluation().bestMetric())
                .file(runDir.resolve(BEST_MODEL)).resumeFrom(at == null ? Double.NaN : at.bestValue(),
                        at == null ? -1 : at.bestIteration()).build();
        RetrievalEvaluationListener evaluation = RetrievalEvaluationListener.builder()
                .evaluation(model -> {
                    progress.clear();
                    RetrievalRun.Result r = eval.network((ComputationGraph) model);
                    if (!r.skipped().isEmpty() && log.trained().isEmpty()) {
                        out.printf(Locale.ROOT, "warning: %d test images cannot be decoded and are left out of every evaluation: "
                                + "%s%n", r.skipped().size(), String.join(", ", r.skipped()));
                    }
                    lastEvaluated[0] = r;
                    return r.report();
                })
                .every(config.evaluation().every()).before(Math.max(1, total)) // the last one comes after the final model
                .stats(router(storage), session)
                .callback((model, r) -> record(log, new MetricsLog.Evaluation("trained", r.iteration(), r.epoch(), step.seconds,
                        r.values())))
                .callback(best)
                .build();
        Parts parts = new Parts(guard, step, evaluation, best, checkpointsRef, progress, clock);
        Result stopped = config.spark().enabled() ? trainOnSpark(data, net, sampler, total, parts, at, session, storage)
                : trainHere(data, net, sampler, total, parts, at, session, storage);
        if (stopped != null) {
            return stopped;
        }
        progress.clear();
        // Training is done: the model is kept before anything else (the final evaluation) can fail.
        AtomicFiles.writeModel(runDir.resolve(FINAL_MODEL), net, false);
        log.dropEvaluations("trained", total); // resumed after a final evaluation that did not complete
        long iterations = net.getIterationCount();
        int lastEpoch = log.losses().isEmpty() ? 0 : log.losses().get(log.losses().size() - 1).epoch();
        step.seconds = clock.getAsDouble();
        evaluation.evaluate(net, iterations, lastEpoch);
        RetrievalRun.Result lastResult = lastEvaluated[0];
        log.write(runDir);
        AtomicFiles.writeBytes(runDir.resolve(LOSS_PLOT), Plots.loss(log));
        AtomicFiles.writeBytes(runDir.resolve(METRICS_PLOT), Plots.metrics(log));
        List<String> summary = new ArrayList<>();
        RunConfig.Model m = config.model();
        summary.add(data.description());
        summary.add(String.format(Locale.ROOT, "model: %s, %s head, D = %d%s, %,d parameters", m.backbone(), m.head(),
                m.embeddingDim(), m.multiLevel() ? ", multi-level" : "", net.numParams()));
        summary.add(String.format(Locale.ROOT, "training: %d iterations of %d classes x %d images, %s lr %s, loss %s",
                iterations, s.classesPerBatch(), s.imagesPerClass(), config.optimizer().type(),
                config.optimizer().learningRate(), config.loss().describe()));
        summary.add(String.format(Locale.ROOT, "training time %.0f s (this process: %.0f s)",
                secondsBefore + (System.nanoTime() - startNanos) / 1e9, (System.nanoTime() - startNanos) / 1e9));
        if (!lastResult.skipped().isEmpty()) {
            summary.add(String.format(Locale.ROOT, "%d test images could not be decoded and were left out of the evaluation: %s",
                    lastResult.skipped().size(), String.join(", ", lastResult.skipped())));
        }
        String warning = belowBaseline(log);
        if (warning != null) {
            summary.add("warning: " + warning);
        }
        HtmlReport.write(runDir.resolve(REPORT), runDir.getFileName().toString(), summary, data, lastResult, log,
                config.evaluation().reportQueries(), 8, config.seed());
        out.printf(Locale.ROOT, "best %s %.4f at iteration %d (%s)%n", config.evaluation().bestMetric(), best.bestValue(),
                best.bestIteration(), BEST_MODEL);
        if (warning != null) {
            out.println("warning: " + warning);
        }
        return new Result(runDir, iterations, true, log, net);
    }

    /** The listeners and state of a run's training part, shared by training here and on Spark. */
    private record Parts(DivergenceGuardListener guard, StepLog step, RetrievalEvaluationListener evaluation, BestModelListener best,
                         AtomicReference<ResumableCheckpointListener> checkpoints, Progress progress, DoubleSupplier clock) {
    }

    /** The checkpoint listener of a run, saving {@code position}'s sampler position. */
    private ResumableCheckpointListener checkpoints(Parts p, org.rll4j.sampler.ResumableIterator position, String session,
                                                    CheckpointState at, MetricsLog log) {
        ResumableCheckpointListener checkpoints = ResumableCheckpointListener.builder().directory(Checkpoint.folder(runDir))
                .every(config.training().checkpointEvery()).iterator(position).guard(p.guard()).bestModel(p.best())
                .statsSession(session).trainingSeconds(p.clock()).alongside(() -> log.write(runDir)).resumeFrom(at)
                .onSkip((iteration, problem, last) -> {
                    p.progress().clear();
                    out.printf(Locale.ROOT, "warning: no checkpoint at iteration %d: %s; the checkpoint of iteration %d stays "
                            + "the one to resume from%n", iteration, problem, last == null ? 0 : last.iteration());
                })
                .build();
        p.checkpoints().set(checkpoints);
        return checkpoints;
    }

    /**
     * After a training error that is not a divergence and came between steps (the weights are those of a whole
     * number of steps, and the position knows the next batch): a checkpoint of that iteration, so that fixing the
     * cause (a vanished disk, a class of corrupt images, a lost executor) and resuming loses nothing.
     */
    private void checkpointAfterError(ComputationGraph net, Parts p, ResumableCheckpointListener checkpoints, Exception e) {
        if (e instanceof TrainingDivergedException || p.step().inStep) {
            return;
        }
        if (net.getIterationCount() < p.step().done) {
            // a listener after the step failed before DL4J counted the step: count it as DL4J would have
            net.getConfiguration().setIterationCount(Math.toIntExact(p.step().done));
        }
        CheckpointState last = checkpoints.last();
        if (net.getIterationCount() > (last == null ? 0 : last.iteration())) {
            p.progress().clear();
            try {
                if (checkpoints.checkpoint(net)) {
                    out.printf(Locale.ROOT, "the run stopped on an error at iteration %d; a checkpoint of that "
                            + "iteration was written: fix the cause below and continue with train --resume %s%n",
                            net.getIterationCount(), runDir);
                }
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
            }
        }
    }

    /** Trains in this process; returns the result when the run stopped early as asked, null when it reached the end. */
    private Result trainHere(RunData data, ComputationGraph net, ClassBalancedBatchSampler sampler, long total, Parts p,
                             CheckpointState at, String session, StatsStorage storage) throws IOException {
        RunConfig.Sampler s = config.sampler();
        MetricsLog log = p.step().log;
        try (SampledDataSetIterator it = SampledDataSetIterator.builder().source(data.train()).sampler(sampler)
                .pipeline(data.trainPipeline()).workers(s.workers()).seed(config.seed()).firstEpoch(at == null ? 0 : at.epoch())
                .firstBatch(at == null ? 0 : at.batchInEpoch()).build()) {
            ResumableCheckpointListener checkpoints = checkpoints(p, it, session, at, log);
            net.setListeners(new StatsListener(router(storage), 5, session), p.guard(), p.step(), p.evaluation(), checkpoints);
            listeners.forEach(l -> l.training(net));
            // DL4J's epoch counter follows the sampler's epochs, as in a fit(iterator, epochs) (the listeners record it)
            net.getConfiguration().setEpochCount(Math.toIntExact(it.epoch()));
            return steps(net, total, checkpoints, p, log, () -> {
                if (!it.hasNext()) {
                    it.reset();
                    net.incrementEpochCount();
                }
                DataSet batch = it.next();
                p.step().inStep = true;
                fit(net, batch, p.guard());
            });
        }
    }

    /** One training step, or one Spark round. */
    @FunctionalInterface
    private interface Step {
        void run() throws IOException;
    }

    /**
     * Runs steps until the run's end or {@link #stopAfter}; after an error, the checkpoint of
     * {@link #checkpointAfterError} before it propagates.
     *
     * @return the result when the run stopped early as asked, null when it reached the end
     */
    private Result steps(ComputationGraph net, long total, ResumableCheckpointListener checkpoints, Parts p, MetricsLog log,
                         Step step) throws IOException {
        try {
            while (net.getIterationCount() < total) {
                step.run();
                Result stopped = afterStep(net, total, checkpoints, p, log);
                if (stopped != null) {
                    return stopped;
                }
            }
            return null;
        } catch (IOException | RuntimeException e) {
            checkpointAfterError(net, p, checkpoints, e);
            throw e;
        }
    }

    /**
     * After a step (here) or a round (Spark): the final checkpoint at the run's end, or a checkpoint and the
     * result when {@link #stopAfter} says to stop here; null to go on.
     */
    private Result afterStep(ComputationGraph net, long total, ResumableCheckpointListener checkpoints, Parts p, MetricsLog log)
            throws IOException {
        long done = net.getIterationCount();
        boolean last = done == total;
        boolean stop = done >= stopAfter;
        if (last || stop) {
            checkpoints.checkpoint(net);
        }
        if (stop && !last) {
            p.progress().clear();
            out.printf(Locale.ROOT, "stopped after iteration %d as asked; resume with: train --resume %s%n", done, runDir);
            return new Result(runDir, done, false, log, net);
        }
        return null;
    }

    /**
     * Trains on Spark (rll-spark's {@link SparkEmbeddingTrainer}): this process is the driver and keeps the model, the
     * executors build and fit whole C x K batches; after every round the driver runs the same guard, loss log,
     * evaluation and checkpoint listeners as training here, and DL4J's StatsListener runs on the workers, routed to
     * the run's stats. Returns as {@link #trainHere}.
     */
    private Result trainOnSpark(RunData data, ComputationGraph net, ClassBalancedBatchSampler sampler, long total, Parts p,
                                CheckpointState at, String session, StatsStorage storage) throws IOException {
        MetricsLog log = p.step().log;
        RunConfig.Spark sc = config.spark();
        try (SparkRun spark = SparkRun.start(sc, "rll4j " + runDir.getFileName(), out)) {
            SparkEmbeddingTrainer trainer = SparkEmbeddingTrainer.builder().sparkContext(spark.context()).network(net)
                    .batches(new SparkBatches(config, data, sampler)).samplesPerClass(config.sampler().imagesPerClass())
                    .settings(SparkTrainingSettings.builder().workers(sc.workers()).averagingFrequency(sc.averagingFrequency())
                            .prefetch(sc.prefetch()).collectTrainingStats(sc.collectStats()).seed(config.seed()).build())
                    .alignTo(config.evaluation().every(), config.training().checkpointEvery(),
                            stopAfter < Integer.MAX_VALUE ? Math.toIntExact(stopAfter) : 0)
                    .workerListeners(router(storage), new StatsListener(null, 5, session))
                    .from(at == null ? null : at.position())
                    .build();
            out.printf(Locale.ROOT, "spark: master %s, %s%n", spark.context().master(), trainer.settings());
            ResumableCheckpointListener checkpoints = checkpoints(p, trainer, session, at, log);
            trainer.setListeners(p.guard(), p.step(), p.evaluation(), checkpoints);
            listeners.forEach(l -> l.training(net));
            if (!net.getListeners().isEmpty()) {
                // the Spark trainer runs its own listeners on the driver; these would be called by no one
                out.printf(Locale.ROOT, "warning: on Spark, DL4J listeners added to the driver's network are not run (%s); "
                        + "the workers run DL4J's StatsListener, the driver the run's own listeners%n", net.getListeners());
            }
            try {
                // a round is never "in a step" for the driver: its network changes only when the whole round is done
                return steps(net, total, checkpoints, p, log, () -> fitRound(trainer, total, p.guard()));
            } finally {
                spark.writeStats(trainer.trainingStats(), runDir.resolve(SPARK_STATS));
            }
        }
    }

    /**
     * One Spark round. A round that fails leaves the driver's network as it was (the averaged parameters replace it
     * only when every worker finished), so the run can checkpoint and resume; an embedding that became non-finite on
     * a worker is a divergence, said in the guard's words.
     */
    private static void fitRound(SparkEmbeddingTrainer trainer, long total, DivergenceGuardListener guard) {
        ComputationGraph net = trainer.network();
        try {
            trainer.fitRound(total);
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof NonFiniteEmbeddingException || String.valueOf(t.getMessage()).contains(
                        NonFiniteEmbeddingException.class.getName())) {
                    throw guard.diverged(net.getIterationCount() + 1L, "the embedding became non-finite on a Spark worker", e);
                }
            }
            throw e;
        }
    }

    /** A warning when the trained model ends below the raw-pixel or untrained baseline on the best metric, else null. */
    private String belowBaseline(MetricsLog log) {
        List<MetricsLog.Evaluation> rows = log.finalRows();
        MetricsLog.Evaluation trained = rows.get(rows.size() - 1);
        String metric = config.evaluation().bestMetric();
        double v = BestModelListener.value(trained.values(), metric);
        for (MetricsLog.Evaluation b : rows.subList(0, rows.size() - 1)) {
            double base = BestModelListener.value(b.values(), metric);
            if (v < base) {
                return String.format(Locale.ROOT, "the trained model's %s (%.4f) is below the %s baseline's (%.4f): training "
                        + "made the embedding worse. Try a smaller optimizer.learningRate (now %s) or more iterations",
                        config.evaluation().bestMetric(), v, b.label(), base, config.optimizer().learningRate());
            }
        }
        return null;
    }

    /**
     * One step; a multi-level model (one RLL output per head) gets the batch's labels at every output. A loss
     * layer that rejects a non-finite embedding stops the step before the guard sees its score: the guard
     * says so in its words.
     */
    private static void fit(ComputationGraph net, DataSet batch, DivergenceGuardListener guard) {
        try {
            int outputs = net.getNumOutputArrays();
            if (outputs == 1) {
                net.fit(batch);
            } else {
                net.fit(org.rll4j.models.MultiHeadIterator.forHeads(batch, outputs));
            }
        } catch (NonFiniteEmbeddingException e) {
            throw guard.diverged(net.getIterationCount() + 1L, "the embedding became non-finite (" + e.getMessage() + ")", e);
        }
    }

    /** What to try when training diverged, and where to resume from: the end of the guard's message. */
    private String advice(CheckpointState last) {
        String resume = last == null
                ? "no checkpoint was written before it (start again with a smaller learning rate)"
                : String.format(Locale.ROOT, "the last checkpoint, of iteration %d (mean loss %.4g before it), is in %s: resume "
                        + "from it with train --resume %s --set optimizer.learningRate=...", last.iteration(), last.loss(),
                        Checkpoint.folder(runDir), runDir);
        return String.format(Locale.ROOT, "Try a smaller optimizer.learningRate (now %s), a smaller loss.tn or a larger batch; %s",
                config.optimizer().learningRate(), resume);
    }

    private void record(MetricsLog log, MetricsLog.Evaluation e) {
        log.evaluation(e);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-11s it %6d ", e.label(), e.iteration()));
        e.values().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.4f", k, v)));
        out.println(sb);
        listeners.forEach(l -> l.evaluated(e));
    }

    /** The table of the final run: baselines and the trained model, one row each. */
    public static String table(MetricsLog log) {
        List<MetricsLog.Evaluation> rows = log.finalRows();
        Map<String, Integer> columns = new LinkedHashMap<>();
        rows.forEach(r -> r.values().keySet().forEach(k -> columns.put(k, Math.max(9, k.length()))));
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-24s", "model"));
        columns.forEach((k, w) -> sb.append(String.format(Locale.ROOT, " %" + w + "s", k)));
        sb.append('\n');
        for (MetricsLog.Evaluation r : rows) {
            String name = r.label().equals("trained") ? "trained (it " + r.iteration() + ")" : r.label();
            sb.append(String.format(Locale.ROOT, "%-24s", name));
            columns.forEach((k, w) -> {
                Double v = r.values().get(k);
                sb.append(String.format(Locale.ROOT, " %" + w + "s", v == null ? "-" : String.format(Locale.ROOT, "%.4f", v)));
            });
            sb.append('\n');
        }
        return sb.toString();
    }
}
