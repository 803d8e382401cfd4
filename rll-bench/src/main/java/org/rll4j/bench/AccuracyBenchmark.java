package org.rll4j.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.rll4j.app.config.ConfigLoader;
import org.rll4j.app.config.RunConfig;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.rll4j.app.report.Plots;
import org.rll4j.listeners.AtomicFiles;
import org.rll4j.app.run.MetricsLog;
import org.rll4j.app.run.Trainer;

/**
 * {@code ./rll bench accuracy}: every loss trained the same way on the same protocols, evaluated on unseen
 * classes. Each training run goes through the app's {@link Trainer}, as {@code ./rll train} runs it: the same
 * backbone, sampler, optimiser, schedule, augmentation, embedding size and iteration budget for every loss;
 * only {@code loss.type} (and its learning rate) changes.
 *
 * <ol>
 *   <li><b>Learning rate</b>, per protocol and loss: short runs (half the budget, a third with {@code --quick})
 *       at each candidate (the protocol's rate x 0.5, 1, 2) on a validation split carved from the training
 *       classes ({@code dataset.validation = 0.2}: the last 20% of the training classes; on Fashion-MNIST 0.4, two
 *       of five, and batches of 3 x 20 from the other three; the test classes are never seen), first seed; the rate with the best validation MAP@R is
 *       kept.</li>
 *   <li><b>Runs</b>: each loss with its rate, for every seed, evaluated once at the end on the test classes
 *       (raw pixels and the untrained network beside it, from the first loss's runs; the loss layer has no
 *       parameters, so the untrained network is the same for every loss).</li>
 *   <li><b>Results</b>: {@code accuracy.json} (every run's final metrics, the chosen rates, wall times) and
 *       {@code accuracy.md} (per protocol, per loss: mean and sample standard deviation over the seeds of
 *       Recall@1/2/4/8, MAP@R, R-Precision, NMI, and the mean wall time of a run), with a Recall@1 bar chart per
 *       protocol ({@code accuracy-<protocol>-r1.png}).</li>
 *   <li><b>RLL ablation</b> (the full benchmark only; it runs right after the first protocol, its tables come last): on the first protocol (emoji
 *       multi-level), RLL with the rate chosen for it there, seed 42 and the same iterations, one parameter
 *       varied at a time with the others at their defaults ({@link #ABLATIONS}: alpha, m, T_n, images per class
 *       K at a batch of about 256). The point of the defaults is the main table's rll seed-42 run, reused, not
 *       trained again. Results: a table per parameter (Recall@1, MAP@R, NMI, seconds) in {@code accuracy.md}
 *       and an {@code ablation} object in {@code accuracy.json}.</li>
 * </ol>
 * Every run has its own directory under {@code <out>/runs}, named by protocol, loss, rate or seed and
 * iterations ({@code <protocol>/rll-ablation/<parameter>-<value>-it<N>} for the ablation's); a run whose
 * directory holds a finished result is not repeated, so an interrupted benchmark continues where it stopped.
 * Each run's console output goes to {@code <out>/logs}.
 */
final class AccuracyBenchmark {

    /** A way of training and testing: a config file (or the built-in defaults) and settings for every run. */
    record Protocol(String name, Path config, List<String> settings, int iterations, int quickIterations,
                    List<String> validationSettings) {

        /** With the learning-rate search's runs on {@link #DEFAULT_VALIDATION}. */
        Protocol(String name, Path config, List<String> settings, int iterations, int quickIterations) {
            this(name, config, settings, iterations, quickIterations, DEFAULT_VALIDATION);
        }
    }

    /** The learning-rate search's split, unless a protocol says otherwise: the last 20% of the training classes held out. */
    static final List<String> DEFAULT_VALIDATION = List.of("dataset.validation=0.2");

    /** A loss and the settings that select it. */
    record Loss(String name, List<String> settings) {
    }

    /**
     * One RLL hyper-parameter of the ablation, varied alone while the others keep their defaults.
     *
     * @param parameter its name in the table's heading ("alpha", "T_n")
     * @param name its name in run ids ({@code <protocol>/rll-ablation/<name>-<value>-it<N>})
     * @param values the values tried, in the table's order
     * @param defaultValue the {@link Value#value()} that is the protocol's own setting (the main table's run)
     * @param note printed under the parameter's table, or null
     */
    record Ablation(String parameter, String name, List<Value> values, String defaultValue, String note) {

        /**
         * One value of the parameter.
         *
         * @param value as written in run ids and JSON ("1.0", "3")
         * @param label the table's first column ("1.0"; K: "85 x 3", classes x K)
         * @param settings the {@code key=value} settings that select it
         */
        record Value(String value, String label, List<String> settings) {
        }

        Ablation {
            values = List.copyOf(values);
            if (values.stream().noneMatch(v -> v.value().equals(defaultValue))) {
                throw new IllegalArgumentException("the ablation of " + parameter + " has no value " + defaultValue + " (its default)");
            }
        }

        /** A parameter set by one config key, each value written as it is in the key's setting. */
        static Ablation of(String parameter, String name, String key, String defaultValue, String note, String... values) {
            List<Value> list = new ArrayList<>();
            for (String v : values) {
                list.add(new Value(v, v, List.of(key + "=" + v)));
            }
            return new Ablation(parameter, name, list, defaultValue, note);
        }

        /** K images per class at {@code classes} classes per batch. */
        static Value imagesPerClass(int classes, int k) {
            return new Value(Integer.toString(k), String.format(Locale.ROOT, "%d x %d", classes, k),
                    List.of("sampler.classesPerBatch=" + classes, "sampler.imagesPerClass=" + k));
        }
    }

    /**
     * The RLL ablation of the paper on the emoji protocol: alpha, m, T_n (defaults: the preset {@code paper}, 1.2,
     * 0.4, 10, which {@code loss.alpha}, {@code loss.margin} and {@code loss.tn} override one at a time) and K images
     * per class at a batch of about 256 (default 128 x 2).
     */
    static final List<Ablation> ABLATIONS = List.of(
            Ablation.of("alpha", "alpha", "loss.alpha", "1.2", null, "1.0", "1.2", "1.4"),
            Ablation.of("m", "m", "loss.margin", "0.4", null, "0", "0.2", "0.4", "0.6"),
            Ablation.of("T_n", "tn", "loss.tn", "10", null, "0", "5", "10", "15", "20"),
            new Ablation("images per class K (classes x K)", "k", List.of(Ablation.imagesPerClass(128, 2),
                    Ablation.imagesPerClass(85, 3), Ablation.imagesPerClass(64, 4)), "2",
                    "Each emoji has exactly two drawings, so K > 2 repeats drawings (the sampler fills a class with "
                            + "replacement), seen under different random augmentation."));

    /** The metrics of the ablation's tables, as the evaluator names them, and their column headings. */
    static final List<String> ABLATION_METRICS = List.of("Recall@1", "MAP@R", "NMI (arithmetic)");
    private static final List<String> ABLATION_HEADINGS = List.of("Recall@1", "MAP@R", "NMI");
    /** The seed of the ablation's runs: the main table's first, so its rll run is the ablation's default point. */
    private static final int ABLATION_SEED = 42;

    static final List<Loss> LOSSES = List.of(
            new Loss("rll", List.of("loss.type=rll")),
            new Loss("contrastive", List.of("loss.type=contrastive")),
            new Loss("triplet-batch-hard", List.of("loss.type=triplet", "loss.mining=batch-hard")),
            new Loss("triplet-semi-hard", List.of("loss.type=triplet", "loss.mining=semi-hard")),
            new Loss("lifted-structure", List.of("loss.type=lifted-structure")),
            new Loss("n-pair", List.of("loss.type=n-pair")),
            new Loss("multi-similarity", List.of("loss.type=multi-similarity")));

    /** The metrics of the tables, in order, as the evaluator names them. */
    static final List<String> METRICS = List.of("Recall@1", "Recall@2", "Recall@4", "Recall@8", "MAP@R", "R-Precision",
            "NMI (arithmetic)");

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final double[] LR_FACTORS = {0.5, 1, 2};

    private final Path out;
    private final boolean quick;
    private final int seeds;
    private final List<Protocol> protocols;
    private final List<Loss> losses;
    private final List<Ablation> ablations;
    private final PrintStream console;
    /** Whether each loss gets a learning-rate search; if not, every loss trains at the protocol's rate. */
    private final boolean searchRates;
    /** Runs trained or read back by this invocation, and the sum of their wall times (from their first training). */
    private int runs;
    private double runSeconds;

    /**
     * @param ablations the RLL ablation on the first protocol (full benchmark only; it needs the loss named
     *     {@code rll} among {@code losses}); empty for none
     */
    AccuracyBenchmark(Path out, boolean quick, int seeds, List<Protocol> protocols, List<Loss> losses, List<Ablation> ablations,
                      PrintStream console) {
        this(out, quick, seeds, protocols, losses, ablations, console, true);
    }

    /** @param searchRates false: no learning-rate search, every loss at the protocol's rate (variants of one loss) */
    AccuracyBenchmark(Path out, boolean quick, int seeds, List<Protocol> protocols, List<Loss> losses, List<Ablation> ablations,
                      PrintStream console, boolean searchRates) {
        this.searchRates = searchRates;
        this.out = out;
        this.quick = quick;
        this.seeds = seeds;
        this.protocols = protocols;
        this.losses = losses;
        this.ablations = ablations;
        this.console = console;
    }

    /**
     * {@code ./rll bench accuracy [--quick] [--seeds N] [--out DIR]}: the full benchmark (3 seeds, all protocols,
     * and the RLL ablation right after the first protocol), or {@code --quick} (1 seed, half the iterations, the emoji multi-level protocol only,
     * no ablation).
     */
    static void main(String[] args) throws IOException {
        Options o = Options.parse("accuracy", args);
        new AccuracyBenchmark(o.out(), o.quick(), o.seeds(), standardProtocols(o.quick()), LOSSES, ABLATIONS, System.out).run();
    }

    /**
     * The options of the training benchmarks: {@code --quick} (default seeds 1, else 3), {@code --seeds N},
     * {@code --out DIR} (default {@code runs/bench-<name>} or {@code runs/bench-<name>-quick}).
     */
    record Options(boolean quick, int seeds, Path out) {

        static Options parse(String bench, String[] args) {
            boolean quick = false;
            Integer seeds = null;
            Path out = null;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> quick = true;
                    case "--seeds" -> seeds = i + 1 < args.length ? Integer.parseInt(args[++i]) : null;
                    case "--out" -> out = i + 1 < args.length ? Path.of(args[++i]) : null;
                    default -> throw new IllegalArgumentException("unknown option '" + args[i] + "' for bench " + bench
                            + "; known: --quick, --seeds N, --out DIR");
                }
            }
            int n = seeds != null ? seeds : quick ? 1 : 3;
            if (n < 1) {
                throw new IllegalArgumentException("--seeds must be >= 1, found " + n);
            }
            return new Options(quick, n, out != null ? out : Path.of("runs", "bench-" + bench + (quick ? "-quick" : "")));
        }
    }

    /** The protocols of issue #15: the main job's emoji split (multi-level and single-head) and Fashion-MNIST 0-4 / 5-9. */
    static List<Protocol> standardProtocols(boolean quick) {
        List<Protocol> p = new ArrayList<>();
        List<String> common = List.of("evaluation.every=0", "training.checkpointEvery=0", "ui.enabled=false");
        p.add(new Protocol("emoji multi-level", null, common, 70, 35));
        if (!quick) {
            List<String> single = new ArrayList<>(common);
            single.add("model.multiLevel=false");
            p.add(new Protocol("emoji single-head", null, single, 70, 35));
            // five training classes: hold out two (0.2 would hold out one, and retrieval needs two); the three left
            // make batches of 3 x 20, the same 60 images as the protocol's 5 x 12
            p.add(new Protocol("fashion-mnist", Path.of("configs/fashion-mnist.yaml"), common, 500, 100,
                    List.of("dataset.validation=0.4", "sampler.classesPerBatch=3", "sampler.imagesPerClass=20")));
        }
        return p;
    }

    /** One finished run: its final rows (label to metrics) and wall time. */
    record RunResult(Map<String, Map<String, Double>> rows, double seconds) {
    }

    /** Runs the benchmark and writes {@code accuracy.md} and {@code accuracy.json}; returns the markdown. */
    String run() throws IOException {
        checkConfigs();
        Loss rll = ablationLoss();
        if (rll != null) {
            checkAblations(protocols.get(0), rll);
        }
        Files.createDirectories(out.resolve("logs"));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("mode", quick ? "quick" : "full");
        json.put("seeds", seeds);
        List<Object> protocolResults = new ArrayList<>();
        StringBuilder md = new StringBuilder();
        long start = System.nanoTime();
        Map<String, Object> ablationJson = null;
        String ablationMd = "";
        for (Protocol protocol : protocols) {
            Map<String, Object> pj = new LinkedHashMap<>();
            pj.put("protocol", protocol.name());
            int iterations = quick ? protocol.quickIterations() : protocol.iterations();
            pj.put("iterations", iterations);
            Map<String, Double> chosen = new LinkedHashMap<>();
            Map<String, List<RunResult>> results = new LinkedHashMap<>();
            for (Loss loss : losses) {
                double rate = chooseLearningRate(protocol, loss, iterations);
                chosen.put(loss.name(), rate);
                List<RunResult> runs = new ArrayList<>();
                for (int s = 0; s < seeds; s++) {
                    runs.add(train(protocol, iterations, runSettings(loss, rate, 42 + s),
                            id(protocol, loss.name(), "seed-" + (42 + s) + "-it" + iterations)));
                }
                results.put(loss.name(), runs);
            }
            pj.put("learningRates", chosen);
            pj.put("runs", rawRuns(results));
            protocolResults.add(pj);
            md.append(table(protocol, iterations, chosen, results));
            String chart = "accuracy-" + protocol.name().replace(' ', '-') + "-r1.png";
            AtomicFiles.writeBytes(out.resolve(chart), recallChart(protocol, results));
            md.append("\n![Recall@1 per loss, ").append(protocol.name()).append("](").append(chart).append(")\n");
            if (rll != null && protocol == protocols.get(0)) {   // right after its protocol: it needs only that one's runs
                double rate = chosen.get(rll.name());
                Map<Ablation, List<RunResult>> ablation = runAblation(protocol, iterations, rll, rate, results.get(rll.name()).get(0));
                ablationJson = ablationJson(protocol, iterations, rate, ablation);
                ablationMd = ablationTables(protocol, iterations, rate, ablation);
            }
        }
        json.put("protocols", protocolResults);
        if (ablationJson != null) {
            json.put("ablation", ablationJson);
            md.append(ablationMd);
        }
        double wall = (System.nanoTime() - start) / 1e9;
        json.put("wallSeconds", wall);
        json.put("runs", runs);
        json.put("runSeconds", runSeconds);
        md.insert(0, String.format(Locale.ROOT, "%d training runs, %.1f min in all (the sum of the runs' own wall times, "
                + "whichever invocation trained them); this invocation: %.1f min.%n", runs, runSeconds / 60, wall / 60));
        AtomicFiles.writeString(out.resolve("accuracy.json"), JSON.writeValueAsString(json));
        AtomicFiles.writeString(out.resolve("accuracy.md"), md.toString());
        console.printf(Locale.ROOT, "%nwrote %s and %s%n%s", out.resolve("accuracy.md"), out.resolve("accuracy.json"), md);
        return md.toString();
    }

    /** Short validation runs at each candidate rate; the best validation MAP@R wins (ties: the protocol's rate). */
    private double chooseLearningRate(Protocol protocol, Loss loss, int iterations) throws IOException {
        double base = ConfigLoader.load(protocol.config(), protocol.settings()).optimizer().learningRate();
        if (!searchRates) {
            return base;
        }
        double best = base;
        double bestMap = Double.NEGATIVE_INFINITY;
        for (double f : LR_FACTORS) {
            double rate = base * f;
            List<String> settings = new ArrayList<>(loss.settings());
            settings.add("optimizer.learningRate=" + rate);
            settings.addAll(protocol.validationSettings());
            settings.add("evaluation.baselines=false");
            int lrIterations = Math.max(1, iterations / (quick ? 3 : 2));
            RunResult r = train(protocol, lrIterations, settings, id(protocol, loss.name(), "lr-" + rate + "-it" + lrIterations));
            double map = r.rows().get("trained").get("MAP@R");
            if (map > bestMap || map == bestMap && f == 1) {
                bestMap = map;
                best = rate;
            }
        }
        console.printf(Locale.ROOT, "%-18s %-20s learning rate %s (validation MAP@R %.4f)%n", protocol.name(), loss.name(), best, bestMap);
        return best;
    }

    /** A run's id and directory under {@code runs}: protocol, group (a loss's name, or the ablation), run. */
    private static String id(Protocol protocol, String group, String run) {
        return protocol.name().replace(' ', '-') + "/" + group + "/" + run;
    }

    /** A main-table run's settings: the loss at its chosen rate, one seed; raw pixels and untrained beside the first loss. */
    private List<String> runSettings(Loss loss, double rate, int seed) {
        List<String> settings = new ArrayList<>(loss.settings());
        settings.add("optimizer.learningRate=" + rate);
        settings.add("seed=" + seed);
        settings.add("evaluation.baselines=" + (loss == losses.get(0)));
        return settings;
    }

    /** The loss the ablation varies (named {@code rll}), or null when no ablation runs ({@code --quick}, or none given). */
    private Loss ablationLoss() {
        if (quick || ablations.isEmpty()) {
            return null;
        }
        return losses.stream().filter(l -> l.name().equals("rll")).findFirst().orElseThrow(() ->
                new IllegalArgumentException("the RLL ablation needs the loss 'rll' among the benchmark's losses"));
    }

    /**
     * Before anything trains: the config of every run must load (each protocol with each loss, for its runs and for
     * its learning-rate search), so that a key a loss does not take fails now, not hours into the benchmark.
     */
    void checkConfigs() throws IOException {
        for (Protocol protocol : protocols) {
            for (Loss loss : losses) {
                List<String> settings = new ArrayList<>(protocol.settings());
                settings.addAll(loss.settings());
                try {
                    ConfigLoader.load(protocol.config(), settings);
                    settings.addAll(protocol.validationSettings());
                    ConfigLoader.load(protocol.config(), settings);
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("protocol '" + protocol.name() + "' with loss '" + loss.name() + "' "
                            + settings + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /**
     * Before anything trains: every value of the ablation must be a valid config on the protocol, and each default
     * value must leave the protocol's RLL config unchanged (its run is the main table's, reused).
     */
    void checkAblations(Protocol protocol, Loss rll) throws IOException {
        List<String> base = new ArrayList<>(protocol.settings());
        base.addAll(rll.settings());
        Map<String, Object> unchanged = ConfigLoader.load(protocol.config(), base).toMap();
        for (Ablation a : ablations) {
            for (Ablation.Value v : a.values()) {
                List<String> settings = new ArrayList<>(base);
                settings.addAll(v.settings());
                Map<String, Object> config = ConfigLoader.load(protocol.config(), settings).toMap();
                if (v.value().equals(a.defaultValue()) && !config.equals(unchanged)) {
                    throw new IllegalArgumentException("the ablation's default " + a.parameter() + " = " + v.value() + " " + v.settings()
                            + " is not the setting of protocol '" + protocol.name() + "', so the main table's rll run is not its run");
                }
            }
        }
    }

    /**
     * The ablation's runs, per parameter in the order of its values: the main table's rll seed-42 run at the default
     * settings (the same run, not trained again), and otherwise that run's settings with the value's on top.
     */
    private Map<Ablation, List<RunResult>> runAblation(Protocol protocol, int iterations, Loss rll, double rate, RunResult defaults)
            throws IOException {
        Map<Ablation, List<RunResult>> results = new LinkedHashMap<>();
        for (Ablation a : ablations) {
            List<RunResult> runs = new ArrayList<>();
            for (Ablation.Value v : a.values()) {
                String id = id(protocol, "rll-ablation", a.name() + "-" + v.value() + "-it" + iterations);
                if (v.value().equals(a.defaultValue())) {
                    console.printf(Locale.ROOT, "%-48s same run as the main table (R@1 %.4f)%n", id,
                            defaults.rows().get("trained").get("Recall@1"));
                    runs.add(defaults);
                } else {
                    List<String> settings = runSettings(rll, rate, ABLATION_SEED);
                    settings.addAll(v.settings());
                    runs.add(train(protocol, iterations, settings, id));
                }
            }
            results.put(a, runs);
        }
        return results;
    }

    /** The ablation for {@code accuracy.json}: its setting, and per parameter each value's settings, rows and seconds. */
    private static Map<String, Object> ablationJson(Protocol protocol, int iterations, double rate,
                                                    Map<Ablation, List<RunResult>> results) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("protocol", protocol.name());
        json.put("iterations", iterations);
        json.put("seed", ABLATION_SEED);
        json.put("learningRate", rate);
        List<Object> parameters = new ArrayList<>();
        results.forEach((a, runs) -> {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("parameter", a.parameter());
            p.put("default", a.defaultValue());
            List<Object> list = new ArrayList<>();
            for (int i = 0; i < runs.size(); i++) {
                Ablation.Value v = a.values().get(i);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("value", v.value());
                r.put("settings", v.settings());
                r.put("sameRunAsMainTable", v.value().equals(a.defaultValue()));
                r.put("seconds", runs.get(i).seconds());
                r.put("rows", runs.get(i).rows());
                list.add(r);
            }
            p.put("runs", list);
            parameters.add(p);
        });
        json.put("parameters", parameters);
        return json;
    }

    /** The ablation's section of {@code accuracy.md}: a table per parameter, its default marked. */
    private static String ablationTables(Protocol protocol, int iterations, double rate, Map<Ablation, List<RunResult>> results) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n### RLL ablation (%s, seed %d, %d iterations, learning rate %s)%n%n", protocol.name(),
                ABLATION_SEED, iterations, rate));
        sb.append("One parameter varied at a time, the others at their defaults; one run per value. A default is the same run "
                + "as the main table's rll seed ").append(ABLATION_SEED).append(", not trained again.\n");
        results.forEach((a, runs) -> {
            sb.append("\n| ").append(a.parameter()).append(" | ").append(String.join(" | ", ABLATION_HEADINGS)).append(" | seconds |\n");
            sb.append("|---|").append("---|".repeat(ABLATION_METRICS.size())).append("---|\n");
            for (int i = 0; i < runs.size(); i++) {
                Ablation.Value v = a.values().get(i);
                sb.append("| ").append(v.label()).append(v.value().equals(a.defaultValue()) ? " (default)" : "");
                for (String m : ABLATION_METRICS) {
                    sb.append(" | ").append(meanSd(new double[] {runs.get(i).rows().get("trained").get(m)}));
                }
                sb.append(String.format(Locale.ROOT, " | %.0f |%n", runs.get(i).seconds()));
            }
            if (a.note() != null) {
                sb.append('\n').append(a.note()).append('\n');
            }
        });
        return sb.toString();
    }

    /** Trains one run, or reads it back when an earlier (interrupted) benchmark finished it. */
    private RunResult train(Protocol protocol, int iterations, List<String> settings, String id) throws IOException {
        Path dir = out.resolve("runs").resolve(id);
        Path done = dir.resolve("bench-result.json");
        if (Files.isRegularFile(done) && Files.isRegularFile(dir.resolve("metrics.json"))) {
            RunResult r = result(MetricsLog.read(dir), Double.parseDouble(Files.readString(done).trim()));
            count(r);
            console.printf(Locale.ROOT, "%-48s done before (R@1 %.4f)%n", id, r.rows().get("trained").get("Recall@1"));
            return r;
        }
        List<String> all = new ArrayList<>(protocol.settings());
        all.addAll(settings);
        all.add("training.iterations=" + iterations);
        RunConfig config = ConfigLoader.load(protocol.config(), all);
        Path log = out.resolve("logs").resolve(id.replace('/', '_') + ".log");
        long t0 = System.nanoTime();
        Trainer.Result result;
        try (OutputStream file = Files.newOutputStream(log); PrintStream ps = new PrintStream(file, true, StandardCharsets.UTF_8)) {
            result = new Trainer(config, dir, ps).overwrite(true).train("# rll bench accuracy: " + id + "\n");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        RunResult r = result(result.metrics(), seconds);
        count(r);
        AtomicFiles.writeString(done, String.format(Locale.ROOT, "%.3f%n", seconds));
        console.printf(Locale.ROOT, "%-48s R@1 %.4f  MAP@R %.4f  %5.0f s%n", id, r.rows().get("trained").get("Recall@1"),
                r.rows().get("trained").get("MAP@R"), seconds);
        return r;
    }

    private void count(RunResult r) {
        runs++;
        runSeconds += r.seconds();
    }

    private static RunResult result(MetricsLog log, double seconds) {
        Map<String, Map<String, Double>> rows = new LinkedHashMap<>();
        for (MetricsLog.Evaluation e : log.finalRows()) {
            rows.put(e.label(), e.values());
        }
        if (!rows.containsKey("trained")) {
            throw new IllegalStateException("a finished run has no final evaluation of the trained network");
        }
        return new RunResult(rows, seconds);
    }

    private static List<Object> rawRuns(Map<String, List<RunResult>> results) {
        List<Object> list = new ArrayList<>();
        results.forEach((loss, runs) -> {
            for (int s = 0; s < runs.size(); s++) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("loss", loss);
                r.put("seed", 42 + s);
                r.put("seconds", runs.get(s).seconds());
                r.put("rows", runs.get(s).rows());
                list.add(r);
            }
        });
        return list;
    }

    /** Recall@1 per model (mean, whiskers of one sample standard deviation), raw pixels and untrained first. */
    private byte[] recallChart(Protocol protocol, Map<String, List<RunResult>> results) throws IOException {
        List<String> labels = new ArrayList<>();
        List<double[]> samples = new ArrayList<>();
        List<RunResult> first = results.values().iterator().next();
        for (String baseline : List.of("raw pixels", "untrained")) {
            if (first.get(0).rows().containsKey(baseline)) {
                labels.add(baseline);
                samples.add(first.stream().mapToDouble(r -> r.rows().get(baseline).get("Recall@1")).toArray());
            }
        }
        results.forEach((loss, runs) -> {
            labels.add(loss);
            samples.add(runs.stream().mapToDouble(r -> r.rows().get("trained").get("Recall@1")).toArray());
        });
        double[] means = new double[labels.size()];
        double[] sds = new double[labels.size()];
        for (int i = 0; i < means.length; i++) {
            double[] m = meanAndSd(samples.get(i));
            means[i] = m[0];
            sds[i] = m[1];
        }
        return Plots.bars("Recall@1 on unseen classes, " + protocol.name() + " (" + seeds + " seed" + (seeds == 1 ? "" : "s")
                + ", bars: mean, whiskers: s.d.)", labels, means, sds);
    }

    /** {mean, sample standard deviation} (the deviation is 0 for a single value). */
    static double[] meanAndSd(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x / v.length;
        }
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        return new double[] {mean, v.length < 2 ? 0 : Math.sqrt(ss / (v.length - 1))};
    }

    /** Mean and sample standard deviation ("0.2791 ± 0.0040"; one value: no spread). */
    static String meanSd(double[] v) {
        double[] m = meanAndSd(v);
        return v.length < 2 ? String.format(Locale.ROOT, "%.4f", m[0]) : String.format(Locale.ROOT, "%.4f ± %.4f", m[0], m[1]);
    }

    private String table(Protocol protocol, int iterations, Map<String, Double> rates, Map<String, List<RunResult>> results) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n### %s (%d iterations, %d seed%s)%n%n", protocol.name(), iterations, seeds,
                seeds == 1 ? "" : "s"));
        sb.append("| model | learning rate | ").append(String.join(" | ", METRICS)).append(" | seconds per run |\n");
        sb.append("|---|---|").append("---|".repeat(METRICS.size())).append("---|\n");
        List<RunResult> first = results.values().iterator().next();
        for (String baseline : List.of("raw pixels", "untrained")) {
            if (first.get(0).rows().containsKey(baseline)) {
                sb.append("| ").append(baseline).append(" | ");
                for (String m : METRICS) {
                    sb.append(" | ").append(meanSd(first.stream().mapToDouble(r -> r.rows().get(baseline).get(m)).toArray()));
                }
                sb.append(" | |\n");
            }
        }
        results.forEach((loss, runs) -> {
            sb.append("| ").append(loss).append(" | ").append(rates.get(loss));
            for (String m : METRICS) {
                sb.append(" | ").append(meanSd(runs.stream().mapToDouble(r -> r.rows().get("trained").get(m)).toArray()));
            }
            sb.append(String.format(Locale.ROOT, " | %.0f |%n", runs.stream().mapToDouble(RunResult::seconds).average().orElse(0)));
        });
        return sb.toString();
    }
}
