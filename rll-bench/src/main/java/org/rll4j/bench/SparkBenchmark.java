package org.rll4j.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.rll4j.app.config.ConfigLoader;
import org.rll4j.app.config.RunConfig;
import org.rll4j.app.run.MetricsLog;
import org.rll4j.app.run.Trainer;
import org.rll4j.listeners.AtomicFiles;

/**
 * {@code ./rll bench spark}: the main job (configs/emoji32.yaml: the small CNN with three heads, the emoji set, its
 * iteration budget) trained in this process and on Spark {@code local[2]} (parameter averaging, 2 workers, averaging
 * every 5 batches), alternately, for each seed; the same C x K batches, iterations counted in batches either way.
 * Prints, and writes to {@code --out} ({@code spark.md}, {@code spark.json}), per mode the wall time of a run (from
 * start to report, evaluations included, Spark's start-up included) and the final Recall@1 and MAP@R (mean and sample
 * standard deviation), the overhead factor (Spark's mean time over this process's), whether Spark's accuracy is
 * within one standard deviation of the single-machine runs, and where Spark's time went: DL4J's Spark timing stats
 * summed over the Spark runs ({@code spark-stats.tsv} of each run).
 */
final class SparkBenchmark {

    private static final List<String> METRICS = List.of("Recall@1", "MAP@R");

    private record Run(String mode, long seed, double seconds, Map<String, Double> values, Map<String, long[]> timings) {
    }

    private SparkBenchmark() {
    }

    static void main(String[] args) throws IOException {
        int seeds = 3;
        int iterations = 0;
        Path out = Path.of("runs", "bench-spark");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seeds" -> seeds = Integer.parseInt(value(args, ++i));
                case "--iterations" -> iterations = Integer.parseInt(value(args, ++i));
                case "--out" -> out = Path.of(value(args, ++i));
                default -> throw new IllegalArgumentException("bench spark: unknown option '" + args[i]
                        + "'; known: --seeds N, --iterations N (default: the main job's), --out DIR");
            }
        }
        if (seeds < 1 || iterations < 0) {
            throw new IllegalArgumentException("bench spark: --seeds must be >= 1 and --iterations >= 0");
        }
        Files.createDirectories(out.resolve("logs"));
        List<Run> runs = new ArrayList<>();
        for (int s = 0; s < seeds; s++) {
            long seed = 42 + s;
            for (String mode : List.of("single", "spark")) {
                runs.add(train(out, mode, seed, iterations));
            }
        }
        String report = report(runs, seeds);
        System.out.println();
        System.out.print(report);
        AtomicFiles.writeString(out.resolve("spark.md"), report);
        AtomicFiles.writeString(out.resolve("spark.json"), json(runs));
        System.out.println("written: " + out.resolve("spark.md") + ", " + out.resolve("spark.json"));
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException("bench spark: " + args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static Run train(Path out, String mode, long seed, int iterations) throws IOException {
        List<String> settings = new ArrayList<>(List.of("seed=" + seed, "ui.enabled=false", "evaluation.baselines=false"));
        if (iterations > 0) {
            settings.add("training.iterations=" + iterations);
        }
        if (mode.equals("spark")) {
            settings.addAll(List.of("spark.master=local[2]", "spark.workers=2", "spark.averagingFrequency=5",
                    "spark.collectStats=true"));
        }
        RunConfig config = ConfigLoader.load(Path.of("configs", "emoji32.yaml"), settings);
        String id = mode + "-seed-" + seed;
        Path dir = out.resolve("runs").resolve(id);
        long t0 = System.nanoTime();
        Trainer.Result result;
        try (OutputStream file = Files.newOutputStream(out.resolve("logs").resolve(id + ".log"));
             PrintStream ps = new PrintStream(file, true, StandardCharsets.UTF_8)) {
            result = new Trainer(config, dir, ps).overwrite(true).train("# rll bench spark: " + id + "\n");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<MetricsLog.Evaluation> rows = result.metrics().finalRows();
        Map<String, Double> values = rows.get(rows.size() - 1).values();
        Map<String, long[]> timings = mode.equals("spark") ? timings(dir.resolve("spark-stats.tsv")) : Map.of();
        System.out.printf(Locale.ROOT, "%-16s R@1 %.4f  MAP@R %.4f  %6.1f s%n", id, values.get("Recall@1"), values.get("MAP@R"),
                seconds);
        return new Run(mode, seed, seconds, values, timings);
    }

    /** event -> {count, total ms} from a run's spark-stats.tsv. */
    private static Map<String, long[]> timings(Path tsv) throws IOException {
        Map<String, long[]> out = new TreeMap<>();
        List<String> lines = Files.readAllLines(tsv);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t");
            out.put(f[0], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
        }
        return out;
    }

    private static double[] column(List<Run> runs, String mode, java.util.function.ToDoubleFunction<Run> f) {
        return runs.stream().filter(r -> r.mode().equals(mode)).mapToDouble(f).toArray();
    }

    private static String seconds(double[] v) {
        double[] m = AccuracyBenchmark.meanAndSd(v);
        return v.length < 2 ? String.format(Locale.ROOT, "%.1f", m[0]) : String.format(Locale.ROOT, "%.1f ± %.1f", m[0], m[1]);
    }

    static String report(List<Run> runs, int seeds) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "### Single machine vs Spark local[2] (main job, %d seed%s)%n%n", seeds,
                seeds == 1 ? "" : "s"));
        sb.append("| mode | seconds per run | Recall@1 | MAP@R |\n|---|---|---|---|\n");
        for (String mode : List.of("single", "spark")) {
            sb.append("| ").append(mode.equals("single") ? "one process" : "Spark local[2], parameter averaging every 5")
                    .append(" | ").append(seconds(column(runs, mode, Run::seconds)));
            for (String m : METRICS) {
                sb.append(" | ").append(AccuracyBenchmark.meanSd(column(runs, mode, r -> r.values().get(m))));
            }
            sb.append(" |\n");
        }
        double single = AccuracyBenchmark.meanAndSd(column(runs, "single", Run::seconds))[0];
        double spark = AccuracyBenchmark.meanAndSd(column(runs, "spark", Run::seconds))[0];
        sb.append(String.format(Locale.ROOT, "%nOverhead factor (Spark's mean seconds over one process's): %.2f%n", spark / single));
        for (String m : METRICS) {
            double[] a = AccuracyBenchmark.meanAndSd(column(runs, "single", r -> r.values().get(m)));
            double[] b = AccuracyBenchmark.meanAndSd(column(runs, "spark", r -> r.values().get(m)));
            sb.append(String.format(Locale.ROOT, "%s: Spark - one process = %+.4f; within one s.d. (%.4f) of the one-process runs: "
                    + "%s%n", m, b[0] - a[0], a[1], Math.abs(b[0] - a[0]) <= a[1] ? "yes" : "no"));
        }
        Map<String, long[]> sum = new TreeMap<>();
        for (Run r : runs) {
            r.timings().forEach((k, v) -> sum.merge(k, v.clone(), (x, y) -> new long[] {x[0] + y[0], x[1] + y[1]}));
        }
        if (!sum.isEmpty()) {
            sb.append("\nWhere Spark's time went (DL4J's Spark timing stats, summed over the Spark runs; worker events once per "
                    + "worker, so they add up to about workers x their wall time):\n\n| event | count | total s | mean ms |\n"
                    + "|---|---|---|---|\n");
            sum.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f |%n", k, v[0], v[1] / 1000.0,
                    v[0] == 0 ? 0.0 : v[1] / (double) v[0])));
        }
        return sb.toString();
    }

    /** Every run: mode, seed, seconds and its final metrics; written with the same mapper as accuracy.json. */
    private static String json(List<Run> runs) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Run r : runs) {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("mode", r.mode());
            m.put("seed", r.seed());
            m.put("seconds", r.seconds());
            m.putAll(r.values());
            out.add(m);
        }
        return AccuracyBenchmark.JSON.writeValueAsString(out) + "\n";
    }
}
