package org.rll4j.bench;

import java.util.Locale;

/**
 * Benchmark commands (not tests). Each compares against a baseline measured in the same run.
 * Usage: {@code ./rll bench loss|data|models|eval [options]}.
 */
public final class BenchMain {

    private BenchMain() {
    }

    /**
     * @param args benchmark name, then options
     */
    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println("usage: ./rll bench loss [--warmup N] [--runs N]");
            System.out.println("       ./rll bench data [--images N] [--epochs N]");
            System.out.println("       ./rll bench models [--steps N] [--large 0|1]");
            System.out.println("       ./rll bench eval [--n N] [--classes N] [--dims 0|D] [--block N] [--kmeans-iters N]");
            System.out.println("       ./rll bench accuracy [--quick] [--seeds N] [--out DIR]");
            System.out.println("       ./rll bench spark [--seeds N] [--iterations N] [--out DIR]");
            System.out.println("       ./rll bench memory [--quick] [--seeds N] [--out DIR]");
            System.out.println("  loss   Ranked List Loss forward+backward at the paper's batch shapes, vs the brute-force reference");
            System.out.println("  data   images/s of the training image pipeline with 1 and 2 workers, vs decoding alone");
            System.out.println("  models training step per image, RLL head vs softmax head (small CNN; BN-Inception at 227 with --large 1)");
            System.out.println("  eval   retrieval metrics at SOP scale (60,502 x 11,316 classes, D = 128 and 512 unless --dims D) vs the bare GEMM;");
            System.out.println("         k-means/NMI with --kmeans-iters iterations (default 10; 0 skips it)");
            System.out.println("  accuracy every loss (RLL and the baselines) trained the same way, each with its learning rate from a");
            System.out.println("         validation split of the training classes, on unseen classes: emoji (multi-level, single-head),");
            System.out.println("         Fashion-MNIST; 3 seeds; then an RLL ablation on emoji multi-level (alpha, m, T_n, images per class;");
            System.out.println("         seed 42) (--quick: 1 seed, emoji multi-level, half the iterations, no ablation); resumes in --out");
            System.out.println("  spark  the main job in this process and on Spark local[2] (parameter averaging), alternately, 3 seeds:");
            System.out.println("         seconds per run, Recall@1 and MAP@R, the overhead factor and where Spark's time went");
            System.out.println("  memory the Ranked List Loss in-batch and over a cross-batch memory of 512, 2048 and all training images:");
            System.out.println("         emoji main job and Fashion-MNIST, 3 seeds, same budget and rate (--quick: 1 seed, emoji, 70 iterations)");
            System.exit(args.length == 0 ? 2 : 0);
        }
        java.util.Map<String, TrainingBenchmark> training = java.util.Map.of("spark", SparkBenchmark::main,
                "memory", MemoryBenchmark::main, "accuracy", AccuracyBenchmark::main);
        TrainingBenchmark bench = training.get(args[0]);
        if (bench != null) {
            org.rll4j.natives.FastPaths.enable(); // as ./rll trains: DL4J's oneDNN layer helpers on
            try {
                bench.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            } catch (IllegalArgumentException e) {
                System.err.println(e.getMessage());
                System.exit(2);
            } catch (java.io.IOException e) {
                System.err.println("bench " + args[0] + ": " + e);
                System.exit(3);
            }
            return;
        }
        java.util.Map<String, Integer> options = new java.util.HashMap<>(java.util.Map.of(
                "--warmup", 30, "--runs", 100, "--images", 1200, "--epochs", 3, "--steps", 5, "--large", 0));
        options.putAll(java.util.Map.of("--n", 60_502, "--classes", 11_316, "--dims", 0, "--block", org.rll4j.eval.ExactNeighbours.DEFAULT_BLOCK_SIZE, "--kmeans-iters", 10));
        java.util.Set<String> zeroAllowed = java.util.Set.of("--large", "--dims", "--kmeans-iters");
        for (int i = 1; i < args.length; i++) {
            String opt = args[i];
            if (options.containsKey(opt) && i + 1 < args.length) {
                options.put(opt, parse(opt, args[++i], zeroAllowed.contains(opt) ? 0 : 1));
            } else {
                System.err.println("unknown option or missing value: " + opt + " (known: " + new java.util.TreeSet<>(options.keySet()) + ")");
                System.exit(2);
            }
        }
        org.rll4j.natives.FastPaths.enable(); // as ./rll trains: DL4J's oneDNN layer helpers on
        switch (args[0]) {
            case "loss" -> LossBenchmark.run(options.get("--warmup"), options.get("--runs"));
            case "data" -> DataBenchmark.run(options.get("--images"), options.get("--epochs"));
            case "models" -> ModelBenchmark.run(options.get("--steps"), options.get("--large") != 0);
            case "eval" -> EvalBenchmark.run(options.get("--n"), options.get("--classes"), options.get("--dims"),
                    options.get("--block"), options.get("--kmeans-iters"));
            default -> {
                System.err.println("unknown benchmark '" + args[0] + "'; known: loss, data, models, eval, accuracy, spark, memory");
                System.exit(2);
            }
        }
    }

    private static int parse(String option, String value, int min) {
        try {
            int v = Integer.parseInt(value);
            if (v >= min) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        System.err.println(String.format(Locale.ROOT, "%s must be an integer >= %d, found '%s'", option, min, value));
        System.exit(2);
        return -1;
    }

    /** A benchmark that trains through the app ({@code accuracy}, {@code spark}, {@code memory}): its own options. */
    @FunctionalInterface
    private interface TrainingBenchmark {
        void main(String[] args) throws java.io.IOException;
    }
}
