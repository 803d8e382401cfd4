package org.rll4j.app;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Runs the CLI in this JVM for tests, capturing what it prints; and the tiny training settings they share. */
final class Cli {

    private Cli() {
    }

    /** A finished command: its exit code, standard output (System.out and picocli's) and error output. */
    record Run(int code, String out, String err) {
        /** Both outputs, for assertion messages. */
        String all() {
            return out + err;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        java.io.PrintStream previous = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(captured, true));
        int code;
        try {
            code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        } finally {
            System.setOut(previous);
        }
        return new Run(code, captured + out.toString(), err.toString());
    }

    /** {@code train} of a tiny model (2 epochs of 8 x 2, 4 iterations on 20 classes) on {@code data} into {@code runDir}. */
    static String[] train(Path data, Path runDir, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--no-ui", "--run-dir", runDir.toString()));
        a.addAll(settings(data));
        a.addAll(Arrays.asList(extra));
        return a.toArray(String[]::new);
    }

    /** The tiny model's --set options. */
    static List<String> settings(Path data) {
        return List.of("--set", "dataset.root=" + data, "--set", "model.widths=[8,16,16]", "--set", "model.embeddingDim=16",
                "--set", "sampler.classesPerBatch=8", "--set", "training.epochs=2", "--set", "evaluation.every=2",
                "--set", "training.checkpointEvery=2", "--set", "evaluation.reportQueries=4", "--set", "dataset.cropScaleMin=0.7",
                "--set", "dataset.flip=0.5", "--set", "seed=5");
    }
}
