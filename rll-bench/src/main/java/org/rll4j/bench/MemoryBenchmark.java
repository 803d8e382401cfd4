package org.rll4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.rll4j.app.config.ConfigLoader;
import org.rll4j.app.config.RunConfig;
import org.rll4j.app.run.RunData;
import org.rll4j.app.run.Trainer;
import org.rll4j.listeners.AtomicFiles;

/**
 * {@code ./rll bench memory [--quick] [--seeds N] [--out DIR]}: the Ranked List Loss in-batch and over a cross-batch
 * memory of M in {512, 2048, all of the training set} embeddings, on the emoji main job (configs' defaults: 140
 * iterations of 128 classes x 2, multi-level heads, each head with its own memory) and on Fashion-MNIST (500 iterations
 * of 5 x 12, as in {@code bench accuracy}), 3 seeds, the same budget and learning rate for every row (no rate search:
 * the memory is an option of one loss, not another loss). The memory joins after a warm-up of a fifth of the
 * iterations. R@1, R@8, MAP@R, NMI and the rest, as in {@code bench accuracy}, whose runner it uses: finished runs
 * are read back, so an interrupted benchmark continues. Results: {@code <out>/memory.md}, and per protocol
 * {@code accuracy.json} with every run.
 */
final class MemoryBenchmark {

    private MemoryBenchmark() {
    }

    static void main(String[] args) throws IOException {
        AccuracyBenchmark.Options o = AccuracyBenchmark.Options.parse("memory", args);
        List<String> common = List.of("evaluation.every=0", "training.checkpointEvery=0", "ui.enabled=false");
        List<AccuracyBenchmark.Protocol> protocols = new ArrayList<>();
        protocols.add(new AccuracyBenchmark.Protocol("emoji main job", null, common, 140, 70));
        if (!o.quick()) {
            protocols.add(new AccuracyBenchmark.Protocol("fashion-mnist", Path.of("configs/fashion-mnist.yaml"), common, 500, 100));
        }
        run(o.out(), o.quick(), o.seeds(), protocols, System.out);
    }

    /** Trains (or reads back) every protocol's four rows and writes {@code <dir>/memory.md}; returns its text. */
    static String run(Path dir, boolean quick, int seeds, List<AccuracyBenchmark.Protocol> protocols, PrintStream console)
            throws IOException {
        StringBuilder md = new StringBuilder();
        for (AccuracyBenchmark.Protocol p : protocols) {
            int iterations = quick ? p.quickIterations() : p.iterations();
            int warmup = iterations / 5;
            int all = trainingImages(p);
            List<AccuracyBenchmark.Loss> losses = List.of(
                    new AccuracyBenchmark.Loss("rll-in-batch", List.of()),
                    memory("rll-memory-512", 512, warmup),
                    memory("rll-memory-2048", 2048, warmup),
                    memory("rll-memory-all-" + all, all, warmup));
            Path pdir = dir.resolve(p.name().replace(' ', '-'));
            String table = new AccuracyBenchmark(pdir, quick, seeds, List.of(p), losses, List.of(), console, false).run();
            md.append(String.format(Locale.ROOT, "%n#### %s: %d training images, memory warm-up %d of %d iterations%n", p.name(),
                    all, warmup, iterations));
            md.append(table);
        }
        md.append(drift(dir, quick, protocols.get(0), console));
        AtomicFiles.writeString(dir.resolve("memory.md"), md.toString());
        console.printf(Locale.ROOT, "%nwrote %s%n%s", dir.resolve("memory.md"), md);
        return md.toString();
    }

    /** Probes' maximum age, in iterations: a memory of 2048 at the main job's 256 per batch holds 8 iterations. */
    private static final int MAX_AGE = 8;

    /**
     * One more in-batch run of the first protocol (seed 42) with an {@link EmbeddingDrift} probe at the warm-up's end,
     * mid-run and near the end: how far an embedding moves in the iterations a memory entry waits. Read back when an
     * earlier invocation measured it.
     */
    private static String drift(Path dir, boolean quick, AccuracyBenchmark.Protocol p, PrintStream console) throws IOException {
        Path file = dir.resolve("drift.md");
        if (Files.isRegularFile(file)) {
            return Files.readString(file);
        }
        int iterations = quick ? p.quickIterations() : p.iterations();
        List<Integer> starts = List.of(iterations / 5 - 1, iterations / 2 - 1, iterations - MAX_AGE - 2);
        EmbeddingDrift probe = new EmbeddingDrift(starts, MAX_AGE);
        List<String> settings = new ArrayList<>(p.settings());
        settings.addAll(List.of("seed=42", "training.iterations=" + iterations, "evaluation.baselines=false"));
        RunConfig config = ConfigLoader.load(p.config(), settings);
        console.printf(Locale.ROOT, "%s: an in-batch run with embedding drift probes at iterations %s%n", p.name(), starts);
        try (PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream())) {
            new Trainer(config, dir.resolve("drift-run"), quiet).overwrite(true).listener(new Trainer.Listener() {
                @Override
                public void training(org.deeplearning4j.nn.graph.ComputationGraph network) {
                    network.addListeners(probe);
                }
            }).train("# rll bench memory: embedding drift\n");
        }
        String md = String.format(Locale.ROOT, "%n#### %s: embedding drift%n", p.name()) + probe.table(config.loss().config().margin());
        AtomicFiles.writeString(file, md);
        return md;
    }

    private static AccuracyBenchmark.Loss memory(String name, int size, int warmup) {
        return new AccuracyBenchmark.Loss(name, List.of("loss.memory.size=" + size, "loss.memory.warmupIterations=" + warmup));
    }

    /** The protocol's training images: "all of the training set" for the memory. */
    private static int trainingImages(AccuracyBenchmark.Protocol p) throws IOException {
        RunConfig config = ConfigLoader.load(p.config(), p.settings());
        return RunData.open(config.dataset()).train().size();
    }
}
