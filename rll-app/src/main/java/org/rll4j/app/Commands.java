package org.rll4j.app;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.rll4j.app.config.ConfigLoader;
import org.rll4j.app.config.RunConfig;
import org.rll4j.app.run.MetricsLog;
import org.rll4j.app.run.Trainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The picocli commands of {@link Main}. */
final class Commands {

    private Commands() {
    }

    /** {@code rll}: lists the commands. */
    @Command(name = "rll", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Deep metric learning with the Ranked List Loss on Deeplearning4j. Without a command: the main job "
                    + "(train on the embedded emoji set).",
            subcommands = {Train.class, Evaluate.class, Embed.class, Search.class, UiCommand.class, Prepare.class})
    static final class Root implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getOut());
            return Main.OK;
        }
    }

    /** Version line for --version. */
    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"rll4j " + Main.version() + " (DL4J " + Provenance.mavenVersion("org.deeplearning4j",
                    "deeplearning4j-nn") + ", Java " + System.getProperty("java.version") + ")"};
        }
    }

    /** Options shared by the commands that read a config. */
    static class ConfigOptions {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE",
                description = "YAML or JSON run configuration (default: the main job's, or RUN_DIR/config.yaml with --run; "
                        + "shipped configs are in configs/)")
        Path config;

        @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
                description = "override a config key, e.g. --set model.embeddingDim=64 --set evaluation.recallAt=[1,10,100]")
        List<String> overrides = new ArrayList<>();

        RunConfig load() throws java.io.IOException {
            return ConfigLoader.load(config, overrides);
        }
    }

    /** {@code rll train}. */
    @Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Train an embedding model, evaluate retrieval on the unseen classes, write a run directory.")
    static final class Train implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        ConfigOptions options;

        @Option(names = "--run-dir", paramLabel = "DIR", description = "the run directory (default: output.dir/<time>-<backbone>); "
                + "it must be new or empty, or hold a run to replace with --overwrite")
        Path runDir;

        @Option(names = "--overwrite", description = "with --run-dir: replace the run that folder holds (its model, metrics and "
                + "checkpoint are deleted)")
        boolean overwrite;

        @Option(names = "--resume", paramLabel = "RUN_DIR", description = "continue a stopped run from its last checkpoint; "
                + "--set and --config may change the optimizer's numbers, the training length, the evaluation (not its best "
                + "metric) and the UI, recorded in the run's config.yaml")
        Path resume;

        @Option(names = "--no-ui", description = "do not serve the DL4J training UI (the stats are still written); recorded "
                + "in the run, so --resume keeps it (--set ui.enabled=true turns it back on)")
        boolean noUi;

        @Option(names = "--ui-port", paramLabel = "PORT",
                description = "port of the DL4J training UI (default: ui.port of the config, 9000; 0 picks a free port)")
        Integer uiPort;

        @Option(names = "--stop-after", paramLabel = "N", hidden = true,
                description = "stop after N iterations, right after a checkpoint (tests of --resume)")
        Long stopAfter;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintStream out = System.out;
            String commandLine = String.join(" ", spec.commandLine().getParseResult().originalArgs());
            if (resume != null) {
                if (stopAfter != null) {
                    throw new IllegalArgumentException("--stop-after cannot be combined with --resume");
                }
                if (runDir != null || overwrite) {
                    throw new IllegalArgumentException("--resume continues the run in RUN_DIR; --run-dir and --overwrite "
                            + "are for new runs");
                }
                boolean changed = options.config != null || !options.overrides.isEmpty() || noUi || uiPort != null;
                RunConfig config = !changed ? Trainer.recordedConfig(resume) : ui(options.config != null
                        ? ConfigLoader.load(options.config, options.overrides) : Trainer.recordedConfig(resume, options.overrides));
                RunConfig.Ui ui = config.ui();
                try (UiListener listener = new UiListener(ui.enabled(), ui.port(), ui.localhostOnly(), out)) {
                    report(out, Trainer.resume(resume, changed ? config : null, commandLine, out, List.of(listener)));
                }
                return Main.OK;
            }
            if (overwrite && runDir == null) {
                throw new IllegalArgumentException("--overwrite replaces the run in the folder --run-dir names; give --run-dir");
            }
            RunConfig config = ui(options.load());
            RunConfig.Ui ui = config.ui();
            try (UiListener listener = new UiListener(ui.enabled(), ui.port(), ui.localhostOnly(), out)) {
                Path dir = runDir != null ? runDir : newRunDir(config);
                Trainer trainer = new Trainer(config, dir, out).listener(listener).overwrite(overwrite);
                if (stopAfter != null) {
                    trainer.stopAfter(stopAfter);
                }
                out.println("run directory: " + dir);
                report(out, trainer.train(Provenance.header(commandLine, config.seed())));
            }
            return Main.OK;
        }

        /** The config with --no-ui and --ui-port applied (they are recorded in the run like any setting). */
        private RunConfig ui(RunConfig c) {
            RunConfig.Ui u = c.ui();
            return c.withUi(new RunConfig.Ui(u.enabled() && !noUi, uiPort != null ? uiPort : u.port(), u.localhostOnly(),
                    u.remote()));
        }

        private static void report(PrintStream out, Trainer.Result r) {
            if (r.finished()) {
                out.println();
                out.print(Trainer.table(r.metrics()));
                out.println("run directory: " + r.runDir());
            }
        }
    }

    /** A trained model and the config it was trained with: a run directory, or a model file plus a config. */
    static final class ModelOptions extends ConfigOptions {
        @Option(names = "--run", paramLabel = "RUN_DIR", description = "a run directory: its config snapshot and model")
        Path run;

        @Option(names = "--model", paramLabel = "FILE", description = "a model zip (default with --run: RUN_DIR/model.zip)")
        Path model;

        @Option(names = "--best", description = "with --run: the best model (best.zip) instead of the final one")
        boolean best;

        RunConfig config() throws java.io.IOException {
            Path file = config != null ? config : run != null ? run.resolve(Trainer.CONFIG_FILE) : null;
            return ConfigLoader.load(file, overrides);
        }

        org.deeplearning4j.nn.graph.ComputationGraph network() throws java.io.IOException {
            Path file = model != null ? model : run != null ? run.resolve(best ? Trainer.BEST_MODEL : Trainer.FINAL_MODEL) : null;
            if (file == null) {
                throw new IllegalArgumentException("name the model: --run RUN_DIR or --model FILE");
            }
            if (model == null && !Files.exists(file)) {
                throw new java.nio.file.NoSuchFileException(file.toString(), null, "model file not found (the run has not "
                        + "finished; resume it with ./rll train --resume " + run + ")");
            }
            return org.rll4j.app.run.ModelFiles.read(file, false);
        }
    }

    /** {@code rll evaluate}. */
    @Command(name = "evaluate", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Evaluate a trained model's retrieval on the test classes of its dataset (or another config's).")
    static final class Evaluate implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        ModelOptions options;

        @Option(names = "--json", paramLabel = "FILE", description = "also write the report as JSON (atomically)")
        Path json;

        @Override
        public Integer call() throws Exception {
            RunConfig config = options.config();
            org.rll4j.app.run.RunData data = org.rll4j.app.run.RunData.open(config.dataset());
            System.out.println(data.description());
            org.rll4j.app.run.RetrievalRun.Result r = new org.rll4j.app.run.RetrievalRun(data, config.evaluation(),
                    config.seed()).network(options.network());
            System.out.print(r.report().toTable());
            if (!r.skipped().isEmpty()) {
                System.out.printf(java.util.Locale.ROOT, "%d test images could not be decoded and were left out: %s%n",
                        r.skipped().size(), String.join(", ", r.skipped()));
            }
            if (json != null) {
                org.rll4j.listeners.AtomicFiles.writeString(json, r.report().toJson());
                System.out.println("report: " + json);
            }
            return Main.OK;
        }
    }

    /** {@code rll embed}. */
    @Command(name = "embed", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Write the normalised embeddings of a folder of class folders (default: the dataset's test "
                    + "classes) as CSV: path,class,e0,...,e(D-1).")
    static final class Embed implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        ModelOptions options;

        @Option(names = "--images", paramLabel = "DIR", description = "a folder with one sub-folder of images per class")
        Path images;

        @Option(names = {"-o", "--out"}, paramLabel = "FILE", required = true, description = "the CSV file to write")
        Path out;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            RunConfig config = options.config();
            Gallery g = Gallery.of(config, images);
            Gallery.Embedded e = g.embed(org.rll4j.app.run.RetrievalRun.extractor(options.network(), config.evaluation()),
                    config.evaluation().batchSize(), spec.commandLine().getErr());
            org.nd4j.linalg.api.ndarray.INDArray v = e.vectors();
            StringBuilder sb = new StringBuilder("path,class");
            for (int j = 0; j < v.size(1); j++) {
                sb.append(",e").append(j);
            }
            sb.append('\n');
            int d = (int) v.size(1);
            float[] all = v.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
            for (int i = 0; i < v.size(0); i++) {
                sb.append(MetricsLog.csvField(g.describe(e, i))).append(',').append(MetricsLog.csvField(g.className(e, i)));
                for (int j = 0; j < d; j++) {
                    sb.append(',').append(all[i * d + j]);
                }
                sb.append('\n');
            }
            org.rll4j.listeners.AtomicFiles.writeString(out, sb.toString());
            System.out.printf(java.util.Locale.ROOT, "%d embeddings of dimension %d -> %s%s%n", v.size(0), v.size(1), out,
                    e.skipped().isEmpty() ? "" : " (" + e.skipped().size() + " undecodable images left out)");
            return Main.OK;
        }
    }

    /** {@code rll search}. */
    @Command(name = "search", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Find the K nearest gallery images of each query image (cosine similarity of the normalised "
                    + "embeddings; distance = Euclidean between unit vectors).")
    static final class Search implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        ModelOptions options;

        @Option(names = "--gallery", paramLabel = "DIR",
                description = "a folder with one sub-folder of images per class (default: the dataset's test classes)")
        Path gallery;

        @Option(names = "-k", paramLabel = "K", defaultValue = "5", description = "neighbours per query (default ${DEFAULT-VALUE})")
        int k;

        @picocli.CommandLine.Parameters(paramLabel = "QUERY", arity = "1..*", description = "query images, or folders of them")
        List<Path> queries;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (k < 1) {
                throw new IllegalArgumentException("-k must be >= 1, found " + k);
            }
            RunConfig config = options.config();
            Gallery g = Gallery.of(config, gallery);
            Gallery q = Gallery.queries(config, queries);
            org.rll4j.models.EmbeddingExtractor extractor = org.rll4j.app.run.RetrievalRun.extractor(options.network(),
                    config.evaluation());
            java.io.PrintWriter err = spec.commandLine().getErr();
            Gallery.Embedded ge = g.embed(extractor, config.evaluation().batchSize(), err);
            Gallery.Embedded qe = q.embed(extractor, config.evaluation().batchSize(), err);
            org.nd4j.linalg.api.ndarray.INDArray gv = ge.vectors();
            org.nd4j.linalg.api.ndarray.INDArray qv = qe.vectors();
            int kk = Math.min(k, (int) gv.size(0));
            if (kk < k) {
                err.printf(java.util.Locale.ROOT, "note: -k %d is more than the gallery's %d images; listing all %d%n", k,
                        gv.size(0), kk);
            }
            org.rll4j.eval.ExactNeighbours.Result r = org.rll4j.eval.ExactNeighbours.of(kk,
                    org.rll4j.eval.ExactNeighbours.DEFAULT_BLOCK_SIZE).searchBetween(qv, gv);
            for (int i = 0; i < qv.size(0); i++) {
                System.out.println("query " + q.describe(qe, i));
                for (int rank = 0; rank < kk; rank++) {
                    int j = r.index(i, rank);
                    double distance = org.rll4j.app.run.RetrievalRun.distance(qv, i, gv, j);
                    System.out.printf(java.util.Locale.ROOT, "  %2d. %.4f  %-24s %s%n", rank + 1, distance, g.className(ge, j),
                            g.describe(ge, j));
                }
            }
            return Main.OK;
        }
    }

    /** {@code rll ui}. */
    @Command(name = "ui", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = {"Serve the DL4J training UI (and the retrieval charts) of a run directory's stats, until Ctrl-C.",
                    "With --receive, serve a UI that runs elsewhere post their stats to (train with ui.remote=http://HOST:PORT, "
                    + "e.g. the driver of a Spark run), storing them in FILE."})
    static final class UiCommand implements Callable<Integer> {
        @picocli.CommandLine.Parameters(paramLabel = "RUN_DIR", arity = "0..1",
                description = "a run directory (or its stats.dl4j file); not with --receive")
        Path run;

        @Option(names = "--port", defaultValue = "9000", description = "port (default ${DEFAULT-VALUE}; 0 picks a free one)")
        int port;

        @Option(names = "--receive", paramLabel = "FILE", description = "receive the stats runs post to this UI, and keep "
                + "them in FILE (a DL4J stats file; created, or added to)")
        Path receive;

        @Option(names = "--all-interfaces", description = "with --receive: listen on every network interface, so that "
                + "other machines (a Spark driver) can post; anyone who reaches the port can, so use it on a trusted network")
        boolean allInterfaces;

        @Option(names = "--serve-seconds", hidden = true, description = "stop after this many seconds (tests)")
        Long seconds;

        @Override
        public Integer call() throws Exception {
            if ((run == null) == (receive == null)) {
                throw new IllegalArgumentException("give either a RUN_DIR to view or --receive FILE to receive runs' stats");
            }
            if (allInterfaces && receive == null) {
                throw new IllegalArgumentException("--all-interfaces is for --receive (a run's stats are viewed on 127.0.0.1)");
            }
            if (receive != null) {
                org.deeplearning4j.ui.model.storage.FileStatsStorage storage =
                        new org.deeplearning4j.ui.model.storage.FileStatsStorage(receive.toFile());
                try {
                    return serve(() -> org.rll4j.app.ui.TrainingUi.receive(port, !allInterfaces, storage),
                            "receiving runs' stats (ui.remote=http://" + (allInterfaces ? "THIS-HOST" : "127.0.0.1") + ":PORT) into "
                                    + receive);
                } finally {
                    storage.close();
                }
            }
            Path stats = Files.isDirectory(run) ? run.resolve(Trainer.STATS_FILE) : run;
            if (!Files.isRegularFile(stats)) {
                throw new java.nio.file.NoSuchFileException(stats.toString(), null, "no DL4J stats file; is " + run
                        + " a run directory written by ./rll train?");
            }
            return serve(() -> org.rll4j.app.ui.TrainingUi.view(stats, port), null);
        }

        private int serve(java.util.function.Supplier<org.rll4j.app.ui.TrainingUi> start, String what) throws Exception {
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
            // Ctrl-C: the JVM halts once its shutdown hooks return, so the hook waits until the server is
            // closed and its temporary copy of the stats file deleted
            Thread hook = new Thread(() -> {
                done.countDown();
                try {
                    closed.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "rll4j-ui-shutdown");
            try {
                try (org.rll4j.app.ui.TrainingUi ui = start.get()) {
                    System.out.println("DL4J training UI: " + ui.overviewUrl() + "   retrieval charts: " + ui.retrievalUrl());
                    if (what != null) {
                        System.out.println(what.replace("PORT", String.valueOf(ui.port())));
                    }
                    System.out.println(seconds == null ? "serving until Ctrl-C" : "serving for " + seconds + " s");
                    Runtime.getRuntime().addShutdownHook(hook);
                    done.await(seconds == null ? Long.MAX_VALUE : seconds, java.util.concurrent.TimeUnit.SECONDS);
                    if (done.getCount() > 0) {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    }
                }
            } finally {
                closed.countDown();
            }
            return Main.OK;
        }
    }

    static Path newRunDir(RunConfig config) {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path dir = config.output().dir().resolve(stamp + "-" + config.model().backbone());
        for (int i = 2; Files.exists(dir); i++) {
            dir = config.output().dir().resolve(stamp + "-" + config.model().backbone() + "-" + i);
        }
        return dir;
    }
}
