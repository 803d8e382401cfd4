package org.rll4j.app.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.rll4j.listeners.AtomicFiles;

/**
 * The numbers of a run: the training loss of every iteration and each retrieval evaluation (test
 * classes) with its iteration. Written as {@code metrics.csv} / {@code metrics.json} (evaluations) and
 * {@code loss.csv}, atomically; read back on resume.
 */
public final class MetricsLog {

    /** Loss of one iteration. */
    public record LossPoint(long iteration, int epoch, double loss) {
    }

    /**
     * One evaluation.
     *
     * @param label {@code trained}, or a baseline's name ({@code raw pixels}, {@code untrained})
     * @param iteration training iterations done when it was taken (0 for baselines)
     * @param epoch epoch at that time
     * @param seconds training wall time at that point
     * @param values metric name to value, names as in the retrieval report (e.g. {@code Recall@1},
     *               {@code NMI (arithmetic)})
     */
    public record Evaluation(String label, long iteration, int epoch, double seconds, Map<String, Double> values) {
        /** Copies the values. */
        public Evaluation {
            values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final List<LossPoint> losses = new ArrayList<>();
    private final List<Evaluation> evaluations = new ArrayList<>();

    /** Records the loss of an iteration. */
    public void loss(long iteration, int epoch, double loss) {
        losses.add(new LossPoint(iteration, epoch, loss));
    }

    /** Records an evaluation. */
    public void evaluation(Evaluation e) {
        evaluations.add(e);
    }

    /** Every loss point, in order. */
    public List<LossPoint> losses() {
        return List.copyOf(losses);
    }

    /** Every evaluation, baselines first. */
    public List<Evaluation> evaluations() {
        return List.copyOf(evaluations);
    }

    /** Evaluations of the trained network during training, in order. */
    public List<Evaluation> trained() {
        return evaluations.stream().filter(e -> e.label().equals("trained")).toList();
    }

    /** The rows of a final table: every baseline, then the last evaluation of the trained network. */
    public List<Evaluation> finalRows() {
        List<Evaluation> rows = new ArrayList<>(evaluations.stream().filter(e -> !e.label().equals("trained")).toList());
        List<Evaluation> trained = trained();
        if (!trained.isEmpty()) {
            rows.add(trained.get(trained.size() - 1));
        }
        return rows;
    }

    /** Drops everything after {@code iteration} (resuming from a checkpoint taken then). */
    public void truncateAfter(long iteration) {
        losses.removeIf(p -> p.iteration() > iteration);
        evaluations.removeIf(e -> e.iteration() > iteration);
    }

    /** Drops the evaluations with this label taken at this iteration. */
    public void dropEvaluations(String label, long iteration) {
        evaluations.removeIf(e -> e.label().equals(label) && e.iteration() == iteration);
    }

    /** Writes metrics.csv, metrics.json and loss.csv into {@code dir}, each atomically. */
    public void write(Path dir) throws IOException {
        Set<String> names = new LinkedHashSet<>();
        evaluations.forEach(e -> names.addAll(e.values().keySet()));
        StringBuilder csv = new StringBuilder("label,iteration,epoch,seconds");
        names.forEach(n -> csv.append(',').append(csvField(n)));
        csv.append('\n');
        for (Evaluation e : evaluations) {
            csv.append(csvField(e.label())).append(',').append(e.iteration()).append(',').append(e.epoch()).append(',')
                    .append(String.format(Locale.ROOT, "%.1f", e.seconds()));
            for (String n : names) {
                Double v = e.values().get(n);
                csv.append(',').append(v == null ? "" : String.format(Locale.ROOT, "%.6f", v));
            }
            csv.append('\n');
        }
        AtomicFiles.writeString(dir.resolve("metrics.csv"), csv.toString());
        AtomicFiles.writeBytes(dir.resolve("metrics.json"), JSON.writeValueAsBytes(Map.of("evaluations", evaluations)));
        StringBuilder loss = new StringBuilder("iteration,epoch,loss\n");
        for (LossPoint p : losses) {
            loss.append(p.iteration()).append(',').append(p.epoch()).append(',')
                    .append(String.format(Locale.ROOT, "%.8g", p.loss())).append('\n');
        }
        AtomicFiles.writeString(dir.resolve("loss.csv"), loss.toString());
    }

    /** Reads what {@link #write(Path)} wrote. */
    public static MetricsLog read(Path dir) throws IOException {
        MetricsLog log = new MetricsLog();
        Map<String, List<Evaluation>> m = JSON.readValue(dir.resolve("metrics.json").toFile(),
                new TypeReference<Map<String, List<Evaluation>>>() { });
        log.evaluations.addAll(m.getOrDefault("evaluations", List.of()));
        List<String> lines = Files.readAllLines(dir.resolve("loss.csv"));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            log.losses.add(new LossPoint(Long.parseLong(f[0]), Integer.parseInt(f[1]), Double.parseDouble(f[2])));
        }
        return log;
    }

    /** A CSV field (RFC 4180): quoted, with doubled quotes, when it holds a comma, a quote or a line break. */
    public static String csvField(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")
                ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
