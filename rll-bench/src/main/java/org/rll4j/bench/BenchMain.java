package org.rll4j.bench;

import java.util.Locale;

/**
 * Benchmark commands (not tests). Each compares against a baseline measured in the same run.
 * Usage: {@code ./rll bench loss [--warmup N] [--runs N]}.
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
            System.out.println("  loss   Ranked List Loss forward+backward at the paper's batch shapes, vs the brute-force reference");
            System.exit(args.length == 0 ? 2 : 0);
        }
        int warmup = 30;
        int runs = 100;
        for (int i = 1; i < args.length; i++) {
            String opt = args[i];
            if ((opt.equals("--warmup") || opt.equals("--runs")) && i + 1 < args.length) {
                int value = parsePositive(opt, args[++i]);
                if (opt.equals("--warmup")) {
                    warmup = value;
                } else {
                    runs = value;
                }
            } else {
                System.err.println("unknown option or missing value: " + opt + " (known: --warmup N, --runs N)");
                System.exit(2);
            }
        }
        switch (args[0]) {
            case "loss" -> LossBenchmark.run(warmup, runs);
            default -> {
                System.err.println("unknown benchmark '" + args[0] + "'; known: loss");
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
