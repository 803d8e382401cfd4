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
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.dataset.DataSet;
import org.rll4j.app.config.RunConfig;
import org.rll4j.app.report.HtmlReport;
import org.rll4j.app.report.Plots;
import org.rll4j.data.ClassBalancedBatchSampler;
import org.rll4j.data.SampledDataSetIterator;
import org.rll4j.loss.NonFiniteEmbeddingException;
import org.rll4j.models.EmbeddingModel;

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

    /**
     * @param config the run's settings
     * @param runDir the run directory (created if missing)
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

    /** Trains from scratch. */
    public Result train(String provenance) throws IOException {
        Files.createDirectories(runDir);
        AtomicFiles.writeString(runDir.resolve(CONFIG_FILE), provenance + org.rll4j.app.config.ConfigLoader.toYaml(config));
        RunData data = RunData.open(config.dataset());
        out.println(data.description());
        EmbeddingModel model = ModelFactory.build(config);
        ComputationGraph net = model.network();
        out.printf(Locale.ROOT, "model: %s + %s head(s), D = %d, %,d parameters%n", model.backbone(),
                config.model().multiLevel() ? "3" : "1", config.model().embeddingDim(), net.numParams());
        MetricsLog log = new MetricsLog();
        Checkpoint start = new Checkpoint(0, 0, 0, 0, Double.NaN, -1, "rll4j-" + UUID.randomUUID());
        StatsStorage storage = openStorage(start.statsSession());
        try {
            RetrievalRun eval = new RetrievalRun(data, config.evaluation(), config.seed());
            if (config.evaluation().baselines()) {
                record(log, new MetricsLog.Evaluation("raw pixels", 0, 0, 0, eval.rawPixels().values()));
                record(log, new MetricsLog.Evaluation("untrained", 0, 0, 0, eval.network(net).values()));
            }
            return loop(data, net, log, eval, start, storage);
        } finally {
            listeners.forEach(Listener::finished);
            storage.close();
        }
    }

    private StatsStorage openStorage(String session) {
        StatsStorage storage = new FileStatsStorage(runDir.resolve(STATS_FILE).toFile());
        listeners.forEach(l -> l.started(storage, session));
        return storage;
    }

    /** Continues a run from its last checkpoint. */
    public static Result resume(Path runDir, PrintStream out, List<Listener> listeners) throws IOException {
        if (!Checkpoint.exists(runDir)) {
            throw new java.nio.file.NoSuchFileException(Checkpoint.folder(runDir).toString(), null,
                    "no checkpoint to resume from (the run stopped before its first checkpoint; start it again)");
        }
        String yaml = Files.readString(runDir.resolve(CONFIG_FILE));
        RunConfig config = org.rll4j.app.config.ConfigLoader.fromYaml(yaml);
        Trainer t = new Trainer(config, runDir, out);
        t.listeners.addAll(listeners);
        Checkpoint c = Checkpoint.read(runDir);
        out.printf(Locale.ROOT, "resuming %s at iteration %d (epoch %d, batch %d)%n", runDir, c.iteration(), c.epoch(),
                c.batchInEpoch());
        RunData data = RunData.open(config.dataset());
        MetricsLog log = MetricsLog.read(runDir);
        log.truncateAfter(c.iteration());
        RetrievalRun eval = new RetrievalRun(data, config.evaluation(), config.seed());
        ComputationGraph net = Checkpoint.model(runDir);
        StatsStorage storage = t.openStorage(c.statsSession());
        try {
            return t.loop(data, net, log, eval, c, storage);
        } finally {
            listeners.forEach(Listener::finished);
            storage.close();
        }
    }

    private Result loop(RunData data, ComputationGraph net, MetricsLog log, RetrievalRun eval, Checkpoint at,
                        StatsStorage storage) throws IOException {
        RunConfig.Sampler s = config.sampler();
        ClassBalancedBatchSampler sampler = ClassBalancedBatchSampler.builder().labels(data.train().labels())
                .classesPerBatch(s.classesPerBatch()).samplesPerClass(s.imagesPerClass()).seed(config.seed()).build();
        long total = config.training().totalIterations(sampler.batchesPerEpoch());
        net.setListeners(new StatsListener(storage, 5, at.statsSession()));
        listeners.forEach(l -> l.training(net));
        out.printf(Locale.ROOT, "training: %d iterations (%.1f epochs of %d batches) of %d classes x %d images%n", total,
                total / (double) sampler.batchesPerEpoch(), sampler.batchesPerEpoch(), s.classesPerBatch(), s.imagesPerClass());
        long iteration = at.iteration();
        double bestValue = at.bestValue();
        long bestIteration = at.bestIteration();
        double secondsBefore = at.seconds();
        long startNanos = System.nanoTime();
        Progress progress = new Progress(out, total, sampler.batchSize());
        RetrievalRun.Result lastResult = null;
        try (SampledDataSetIterator it = SampledDataSetIterator.builder().source(data.train()).sampler(sampler)
                .pipeline(data.trainPipeline()).workers(s.workers()).seed(config.seed()).firstEpoch(at.epoch())
                .firstBatch(at.batchInEpoch()).build()) {
            while (iteration < total) {
                if (!it.hasNext()) {
                    it.reset();
                }
                int epoch = (int) it.epoch();
                DataSet batch = it.next();
                fit(net, batch, iteration);
                iteration++;
                double loss = net.score();
                if (!Double.isFinite(loss)) {
                    throw diverged(iteration, "the loss is " + loss, null);
                }
                log.loss(iteration, epoch, loss);
                double seconds = secondsBefore + (System.nanoTime() - startNanos) / 1e9;
                progress.update(iteration, epoch, loss, seconds - secondsBefore, iteration - at.iteration());
                boolean last = iteration == total;
                int every = config.evaluation().every();
                if (last || every > 0 && iteration % every == 0) {
                    progress.clear();
                    lastResult = eval.network(net);
                    Map<String, Double> values = lastResult.values();
                    record(log, new MetricsLog.Evaluation("trained", iteration, epoch, seconds, values));
                    double v = metric(values);
                    if (Double.isNaN(bestValue) || v > bestValue) {
                        bestValue = v;
                        bestIteration = iteration;
                        AtomicFiles.write(runDir.resolve(BEST_MODEL), tmp -> ModelSerializer.writeModel(net, tmp.toFile(), false));
                    }
                }
                int ckpt = config.training().checkpointEvery();
                boolean stop = iteration >= stopAfter;
                if (last || stop || ckpt > 0 && iteration % ckpt == 0) {
                    new Checkpoint(iteration, it.hasNext() ? it.epoch() : it.epoch() + 1, it.hasNext() ? it.batchInEpoch() : 0,
                            seconds, bestValue, bestIteration, at.statsSession()).write(runDir, net);
                    log.write(runDir);
                }
                if (stop && !last) {
                    progress.clear();
                    out.printf(Locale.ROOT, "stopped after iteration %d as asked; resume with: train --resume %s%n", iteration,
                            runDir);
                    return new Result(runDir, iteration, false, log, net);
                }
            }
        }
        progress.clear();
        AtomicFiles.write(runDir.resolve(FINAL_MODEL), tmp -> ModelSerializer.writeModel(net, tmp.toFile(), false));
        log.write(runDir);
        AtomicFiles.writeBytes(runDir.resolve(LOSS_PLOT), Plots.loss(log));
        AtomicFiles.writeBytes(runDir.resolve(METRICS_PLOT), Plots.metrics(log));
        if (lastResult != null) {
            RunConfig.Model m = config.model();
            List<String> summary = List.of(data.description(),
                    String.format(Locale.ROOT, "model: %s, %s head, D = %d%s, %,d parameters", m.backbone(), m.head(),
                            m.embeddingDim(), m.multiLevel() ? ", multi-level" : "", net.numParams()),
                    String.format(Locale.ROOT, "training: %d iterations of %d classes x %d images, %s lr %s, loss %s %s",
                            iteration, s.classesPerBatch(), s.imagesPerClass(), config.optimizer().type(),
                            config.optimizer().learningRate(), config.loss().preset(), config.loss().config()),
                    String.format(Locale.ROOT, "training time %.0f s (this process: %.0f s)",
                            secondsBefore + (System.nanoTime() - startNanos) / 1e9, (System.nanoTime() - startNanos) / 1e9));
            HtmlReport.write(runDir.resolve(REPORT), runDir.getFileName().toString(), summary, data, eval, lastResult, log,
                    config.evaluation().reportQueries(), 8, config.seed());
        }
        out.printf(Locale.ROOT, "best %s %.4f at iteration %d (%s)%n", config.evaluation().bestMetric(), bestValue, bestIteration,
                BEST_MODEL);
        return new Result(runDir, iteration, true, log, net);
    }

    /** One step; a multi-level model (one RLL output per head) gets the batch's labels at every output. */
    private void fit(ComputationGraph net, DataSet batch, long iteration) {
        try {
            int outputs = net.getNumOutputArrays();
            if (outputs == 1) {
                net.fit(batch);
            } else {
                net.fit(org.rll4j.models.MultiHeadIterator.forHeads(batch, outputs));
            }
        } catch (NonFiniteEmbeddingException e) {
            throw diverged(iteration + 1, "the embedding became non-finite (" + e.getMessage() + ")", e);
        }
    }

    private TrainingDivergedException diverged(long iteration, String what, Throwable cause) {
        return new TrainingDivergedException(String.format(Locale.ROOT,
                "training diverged at iteration %d: %s. Try a smaller optimizer.learningRate (now %s), a smaller "
                        + "loss.tn or a larger batch; the last good checkpoint is in %s (resume with train --resume)",
                iteration, what, config.optimizer().learningRate(), Checkpoint.folder(runDir)), cause);
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
