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
            subcommands = {Train.class})
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
    static final class ConfigOptions {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE",
                description = "YAML or JSON run configuration (default: the main job; shipped configs are in configs/)")
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

        @Option(names = "--run-dir", paramLabel = "DIR", description = "the run directory (default: output.dir/<time>-<backbone>)")
        Path runDir;

        @Option(names = "--resume", paramLabel = "RUN_DIR", description = "continue a stopped run from its last checkpoint")
        Path resume;

        @Option(names = "--no-ui", description = "do not serve the DL4J training UI")
        boolean noUi;

        @Option(names = "--stop-after", paramLabel = "N", hidden = true,
                description = "stop after N iterations, right after a checkpoint (tests of --resume)")
        Long stopAfter;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
            if (resume != null) {
                Trainer.Result r = Trainer.resume(resume, out, List.of());
                out.print(Trainer.table(r.metrics()));
                return Main.OK;
            }
            RunConfig config = options.load();
            Path dir = runDir != null ? runDir : newRunDir(config);
            Trainer trainer = new Trainer(config, dir, out);
            if (stopAfter != null) {
                trainer.stopAfter(stopAfter);
            }
            out.println("run directory: " + dir);
            Trainer.Result r = trainer.train(Provenance.header(String.join(" ", spec.commandLine().getParseResult()
                    .originalArgs()), config.seed()));
            if (r.finished()) {
                out.println();
                out.print(Trainer.table(r.metrics()));
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
