package org.rll4j.bench;

import java.util.Locale;

/**
 * Benchmark commands (not tests). Each compares against a baseline measured in the same run.
 * Usage: {@code ./rll bench loss|data [options]}.
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
            System.out.println("  loss   Ranked List Loss forward+backward at the paper's batch shapes, vs the brute-force reference");
            System.out.println("  data   images/s of the training image pipeline with 1 and 2 workers, vs decoding alone");
            System.exit(args.length == 0 ? 2 : 0);
        }
        java.util.Map<String, Integer> options = new java.util.HashMap<>(java.util.Map.of(
                "--warmup", 30, "--runs", 100, "--images", 1200, "--epochs", 3));
        for (int i = 1; i < args.length; i++) {
            String opt = args[i];
            if (options.containsKey(opt) && i + 1 < args.length) {
                options.put(opt, parsePositive(opt, args[++i]));
            } else {
                System.err.println("unknown option or missing value: " + opt + " (known: " + new java.util.TreeSet<>(options.keySet()) + ")");
                System.exit(2);
            }
        }
        switch (args[0]) {
            case "loss" -> LossBenchmark.run(options.get("--warmup"), options.get("--runs"));
            case "data" -> DataBenchmark.run(options.get("--images"), options.get("--epochs"));
            default -> {
                System.err.println("unknown benchmark '" + args[0] + "'; known: loss, data");
                System.exit(2);
            }
        }
    }

    private static int parsePositive(String option, String value) {
        try {
            int v = Integer.parseInt(value);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        System.err.println(String.format(Locale.ROOT, "%s must be a positive integer, found '%s'", option, value));
        System.exit(2);
        return -1;
    }
}
