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

import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.ui.model.stats.StatsListener;
import org.deeplearning4j.ui.model.storage.FileStatsStorage;
import org.nd4j.linalg.dataset.DataSet;
import org.rll4j.app.config.RunConfig;
import org.rll4j.app.report.HtmlReport;
import org.rll4j.app.report.Plots;
import org.rll4j.data.SampledDataSetIterator;
import org.rll4j.listeners.AtomicFiles;
import org.rll4j.loss.NonFiniteEmbeddingException;
import org.rll4j.models.EmbeddingModel;
import org.rll4j.sampler.ClassBalancedBatchSampler;

/**
 * Trains an embedding model as a {@link RunConfig} says, in a run directory: C x K batches from the
 * training classes, DL4J stats for the training UI ({@code stats.dl4j}), retrieval evaluations on the
 * unseen test classes every N iterations and at the end, checkpoints every N iterations and at the
 * end, the best model by the chosen metric, the final model, and the metrics files. A run can be
 * resumed from its last checkpoint ({@link #resume}) and then continues exactly where it stopped.
 */
public final class Trainer {

    /** Told about a run's progress (the UI's retrieval page, tests). */
    public interface Listener {
        /** The stats storage and session are ready. */
        default void started(StatsStorage storage, String sessionId) {
        }

        /** Training is about to start (or continue) with this network; e.g. to add DL4J listeners. */
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

    private final RunConfig config;
    private final Path runDir;
    private final PrintStream out;
    private final List<Listener> listeners = new ArrayList<>();
    private long stopAfter = Long.MAX_VALUE;
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
                Checkpoint start = new Checkpoint(0, 0, 0, 0, Double.NaN, -1, "rll4j-" + UUID.randomUUID(), Double.NaN, null,
                        null);
                StatsStorage storage = openStorage(start.statsSession(), false);
                try {
                    RetrievalRun eval = new RetrievalRun(data, config.evaluation(), config.seed());
                    if (config.evaluation().baselines()) {
                        record(log, new MetricsLog.Evaluation("raw pixels", 0, 0, 0, eval.rawPixels().values()));
                        record(log, new MetricsLog.Evaluation("untrained", 0, 0, 0, eval.network(net).values()));
                    }
                    Result r = loop(data, net, log, eval, start, storage);
                    ok = true;
                    return r;
                } finally {
                    listeners.forEach(Listener::finished);
                    storage.close();
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
            Checkpoint c = Checkpoint.read(runDir);
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
            ComputationGraph net = Checkpoint.model(runDir, c);
            if (!recorded.optimizer().equals(config.optimizer())) {
                net = ModelFactory.withOptimizer(net, config);
            }
            StatsStorage storage = t.openStorage(c.statsSession(), true);
            try {
                return t.loop(data, net, log, eval, c, storage);
            } finally {
                listeners.forEach(Listener::finished);
                storage.close();
            }
        }
    }

    /** The loop's position, for checkpoints. */
    private final class Position {
        long iteration;
        double bestValue;
        long bestIteration;
        Checkpoint last;

        Position(Checkpoint at) {
            iteration = at.iteration();
            bestValue = at.bestValue();
            bestIteration = at.bestIteration();
            last = at;
        }
    }

    private Result loop(RunData data, ComputationGraph net, MetricsLog log, RetrievalRun eval, Checkpoint at,
                        StatsStorage storage) throws IOException {
        RunConfig.Sampler s = config.sampler();
        ClassBalancedBatchSampler sampler = sampler(data);
        long total = config.training().totalIterations(sampler.batchesPerEpoch());
        net.setListeners(new StatsListener(storage, 5, at.statsSession()));
        listeners.forEach(l -> l.training(net));
        RunConfig.Optimizer o = config.optimizer();
        out.printf(Locale.ROOT, "training: %d iterations (%.1f epochs of %d batches) of %d classes x %d images, %s lr %s%s%n",
                total, total / (double) sampler.batchesPerEpoch(), sampler.batchesPerEpoch(), s.classesPerBatch(),
                s.imagesPerClass(), o.type(), o.learningRate(), ModelFactory.schedule(o) == null ? ""
                        : String.format(Locale.ROOT, " x %s every %d iterations", o.decay(), o.decayEvery()));
        Position pos = new Position(at);
        DivergenceGuard guard = new DivergenceGuard(config.loss().maxBatchMean(sampler.batchSize()), net.getNumOutputArrays());
        double secondsBefore = at.seconds();
        long startNanos = System.nanoTime();
        Progress progress = new Progress(out, total, sampler.batchSize());
        try (SampledDataSetIterator it = SampledDataSetIterator.builder().source(data.train()).sampler(sampler)
                .pipeline(data.trainPipeline()).workers(s.workers()).seed(config.seed()).firstEpoch(at.epoch())
                .firstBatch(at.batchInEpoch()).build()) {
            boolean inStep = false;
            try {
                while (pos.iteration < total) {
                    if (!it.hasNext()) {
                        it.reset();
                    }
                    int epoch = (int) it.epoch();
                    DataSet batch = it.next();
                    inStep = true;
                    fit(net, batch, pos);
                    pos.iteration++;
                    double loss = net.score();
                    String problem = guard.check(loss);
                    if (problem != null) {
                        throw diverged(pos, problem, null);
                    }
                    inStep = false;
                    log.loss(pos.iteration, epoch, loss);
                    double seconds = secondsBefore + (System.nanoTime() - startNanos) / 1e9;
                    progress.update(pos.iteration, epoch, loss, seconds - secondsBefore, pos.iteration - at.iteration());
                    boolean last = pos.iteration == total;
                    int every = config.evaluation().every();
                    if (!last && every > 0 && pos.iteration % every == 0) {
                        progress.clear();
                        evaluate(net, eval, log, pos, epoch, seconds);
                    }
                    int ckpt = config.training().checkpointEvery();
                    boolean stop = pos.iteration >= stopAfter;
                    if (last || stop || ckpt > 0 && pos.iteration % ckpt == 0) {
                        checkpoint(net, it, pos, seconds, guard, log, at.statsSession(), progress);
                    }
                    if (stop && !last) {
                        progress.clear();
                        out.printf(Locale.ROOT, "stopped after iteration %d as asked; resume with: train --resume %s%n",
                                pos.iteration, runDir);
                        return new Result(runDir, pos.iteration, false, log, net);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // Not a divergence, not in the middle of a step: the weights are those of a whole number of
                // steps, and the iterator knows the next batch. Keep them, so that fixing the cause (a
                // vanished disk, a class of corrupt images) and resuming loses nothing.
                if (!(e instanceof TrainingDivergedException) && !inStep && pos.iteration > pos.last.iteration()) {
                    progress.clear();
                    try {
                        checkpoint(net, it, pos, secondsBefore + (System.nanoTime() - startNanos) / 1e9, guard, log,
                                at.statsSession(), progress);
                        out.printf(Locale.ROOT, "the run stopped on an error at iteration %d; a checkpoint of that iteration was "
                                + "written: fix the cause below and continue with train --resume %s%n", pos.iteration, runDir);
                    } catch (IOException | RuntimeException again) {
                        e.addSuppressed(again);
                    }
                }
                throw e;
            }
        }
        progress.clear();
        // Training is done: the model is kept before anything else (the final evaluation) can fail.
        ModelFiles.write(runDir.resolve(FINAL_MODEL), net, false);
        log.dropEvaluations("trained", total); // resumed after a final evaluation that did not complete
        double seconds = secondsBefore + (System.nanoTime() - startNanos) / 1e9;
        int lastEpoch = log.losses().isEmpty() ? 0 : log.losses().get(log.losses().size() - 1).epoch();
        RetrievalRun.Result lastResult = evaluate(net, eval, log, pos, lastEpoch, seconds);
        log.write(runDir);
        AtomicFiles.writeBytes(runDir.resolve(LOSS_PLOT), Plots.loss(log));
        AtomicFiles.writeBytes(runDir.resolve(METRICS_PLOT), Plots.metrics(log));
        List<String> summary = new ArrayList<>();
        RunConfig.Model m = config.model();
        summary.add(data.description());
        summary.add(String.format(Locale.ROOT, "model: %s, %s head, D = %d%s, %,d parameters", m.backbone(), m.head(),
                m.embeddingDim(), m.multiLevel() ? ", multi-level" : "", net.numParams()));
        summary.add(String.format(Locale.ROOT, "training: %d iterations of %d classes x %d images, %s lr %s, loss %s",
                pos.iteration, s.classesPerBatch(), s.imagesPerClass(), config.optimizer().type(),
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
        out.printf(Locale.ROOT, "best %s %.4f at iteration %d (%s)%n", config.evaluation().bestMetric(), pos.bestValue,
                pos.bestIteration, BEST_MODEL);
        if (warning != null) {
            out.println("warning: " + warning);
        }
        return new Result(runDir, pos.iteration, true, log, net);
    }

    /** Evaluates the trained network, records it, and keeps it as the best model when it is. */
    private RetrievalRun.Result evaluate(ComputationGraph net, RetrievalRun eval, MetricsLog log, Position pos, int epoch,
                                         double seconds) throws IOException {
        RetrievalRun.Result r = eval.network(net);
        if (!r.skipped().isEmpty() && log.trained().isEmpty()) {
            out.printf(Locale.ROOT, "warning: %d test images cannot be decoded and are left out of every evaluation: %s%n",
                    r.skipped().size(), String.join(", ", r.skipped()));
        }
        record(log, new MetricsLog.Evaluation("trained", pos.iteration, epoch, seconds, r.values()));
        double v = metric(r.values());
        if (Double.isNaN(pos.bestValue) || v > pos.bestValue) {
            pos.bestValue = v;
            pos.bestIteration = pos.iteration;
            ModelFiles.write(runDir.resolve(BEST_MODEL), net, false);
        }
        return r;
    }

    /** Writes a checkpoint of the current position, unless the guard finds the network unfit to resume from. */
    private void checkpoint(ComputationGraph net, SampledDataSetIterator it, Position pos, double seconds, DivergenceGuard guard,
                            MetricsLog log, String session, Progress progress) throws IOException {
        double loss = guard.recentMean();
        String problem = guard.checkpointProblem(net);
        if (problem != null) {
            progress.clear();
            out.printf(Locale.ROOT, "warning: no checkpoint at iteration %d: %s; the checkpoint of iteration %d stays the one "
                    + "to resume from%n", pos.iteration, problem, pos.last.iteration());
            return;
        }
        boolean more = it.hasNext();
        pos.last = new Checkpoint(pos.iteration, more ? it.epoch() : it.epoch() + 1, more ? it.batchInEpoch() : 0, seconds,
                pos.bestValue, pos.bestIteration, session, loss, null, null).write(runDir, net, () -> log.write(runDir));
    }

    /** A warning when the trained model ends below the raw-pixel or untrained baseline on the best metric, else null. */
    private String belowBaseline(MetricsLog log) {
        List<MetricsLog.Evaluation> rows = log.finalRows();
        MetricsLog.Evaluation trained = rows.get(rows.size() - 1);
        double v = metric(trained.values());
        for (MetricsLog.Evaluation b : rows.subList(0, rows.size() - 1)) {
            double base = metric(b.values());
            if (v < base) {
                return String.format(Locale.ROOT, "the trained model's %s (%.4f) is below the %s baseline's (%.4f): training "
                        + "made the embedding worse. Try a smaller optimizer.learningRate (now %s) or more iterations",
                        config.evaluation().bestMetric(), v, b.label(), base, config.optimizer().learningRate());
            }
        }
        return null;
    }

    /** One step; a multi-level model (one RLL output per head) gets the batch's labels at every output. */
    private void fit(ComputationGraph net, DataSet batch, Position pos) {
        try {
            int outputs = net.getNumOutputArrays();
            if (outputs == 1) {
                net.fit(batch);
            } else {
                net.fit(org.rll4j.models.MultiHeadIterator.forHeads(batch, outputs));
            }
        } catch (NonFiniteEmbeddingException e) {
            pos.iteration++;
            throw diverged(pos, "the embedding became non-finite (" + e.getMessage() + ")", e);
        }
    }

    private TrainingDivergedException diverged(Position pos, String what, Throwable cause) {
        Checkpoint last = pos.last;
        String resume = last.model() == null
                ? "no checkpoint was written before it (start again with a smaller learning rate)"
                : String.format(Locale.ROOT, "the last checkpoint, of iteration %d (mean loss %.4g before it), is in %s: resume "
                        + "from it with train --resume %s --set optimizer.learningRate=...", last.iteration(), last.loss(),
                        Checkpoint.folder(runDir), runDir);
        return new TrainingDivergedException(String.format(Locale.ROOT,
                "training diverged at iteration %d: %s. Try a smaller optimizer.learningRate (now %s), a smaller "
                        + "loss.tn or a larger batch; %s",
                pos.iteration, what, config.optimizer().learningRate(), resume), cause);
    }

    private void record(MetricsLog log, MetricsLog.Evaluation e) {
        log.evaluation(e);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-11s it %6d ", e.label(), e.iteration()));
        e.values().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.4f", k, v)));
        out.println(sb);
        listeners.forEach(l -> l.evaluated(e));
    }

    /** The configured best metric's value. */
    private double metric(Map<String, Double> values) {
        String name = config.evaluation().bestMetric();
        for (Map.Entry<String, Double> e : values.entrySet()) {
            String k = e.getKey().toLowerCase(Locale.ROOT);
            if (k.equals(name) || name.equals("nmi") && k.startsWith("nmi")) {
                return e.getValue();
            }
        }
        throw new IllegalStateException("metric " + name + " is not in the evaluation " + values.keySet());
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
