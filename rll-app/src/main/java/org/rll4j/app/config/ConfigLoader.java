package org.rll4j.app.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.loss.ContrastiveLossConfig;
import org.rll4j.loss.CrossBatchMemoryConfig;
import org.rll4j.loss.LiftedStructureLossConfig;
import org.rll4j.loss.MetricLossConfig;
import org.rll4j.loss.MultiSimilarityLossConfig;
import org.rll4j.loss.NPairLossConfig;
import org.rll4j.loss.RankedListLossImplementation;
import org.rll4j.loss.TripletLossConfig;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Reads a {@link RunConfig}: built-in defaults (the main job: the small CNN on the embedded emoji
 * set), then a YAML or JSON file, then {@code key=value} overrides with dotted keys (e.g.
 * {@code model.embeddingDim=64}, {@code evaluation.recallAt=[1,10,100]}; the value is read as YAML).
 * Unknown keys and bad values fail before anything runs, with a {@link ConfigException} naming the
 * key, the value and what is allowed.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /**
     * @param file a YAML/JSON file, or null for the defaults alone
     * @param overrides {@code key=value} strings applied after the file
     * @return the validated configuration
     * @throws ConfigException for unknown keys, bad values or malformed files/overrides
     * @throws IOException when the file cannot be read
     */
    public static RunConfig load(Path file, List<String> overrides) throws IOException {
        Map<String, Object> tree = new LinkedHashMap<>();
        if (file != null) {
            String text;
            try {
                text = Files.readString(file);
            } catch (NoSuchFileException e) {
                throw new NoSuchFileException(file.toString(), null,
                        "config file not found; pass an existing file to --config (shipped configs are in configs/)");
            }
            Object parsed;
            try {
                parsed = yaml().load(text);
            } catch (YAMLException e) {
                throw new ConfigException("cannot parse config file " + file + ": " + e.getMessage(), e);
            }
            if (parsed != null) {
                if (!(parsed instanceof Map<?, ?> m)) {
                    throw new ConfigException("config file " + file + " must hold a mapping of sections (dataset:, model:, ...), "
                            + "found " + parsed.getClass().getSimpleName());
                }
                tree = copy(m);
            }
        }
        for (String o : overrides) {
            apply(tree, o);
        }
        return fromTree(tree);
    }

    /** The defaults alone: the main job. */
    public static RunConfig defaults() {
        return fromTree(new LinkedHashMap<>());
    }

    /** YAML text of the canonical form, for the run directory's config snapshot. */
    public static String toYaml(RunConfig config) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        return new Yaml(new Representer(options), options).dump(config.toMap());
    }

    /** Parses YAML text of a config (e.g. a snapshot) with no overrides. */
    public static RunConfig fromYaml(String text) {
        Object parsed = yaml().load(text);
        if (!(parsed instanceof Map<?, ?> m)) {
            throw new ConfigException("a config must be a mapping of sections");
        }
        return fromTree(copy(m));
    }

    private static Yaml yaml() {
        return new Yaml(new SafeConstructor(new LoaderOptions()));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> copy(Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            Object v = e.getValue();
            out.put(String.valueOf(e.getKey()), v instanceof Map<?, ?> sub ? copy(sub) : v);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void apply(Map<String, Object> tree, String override) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            throw new ConfigException("an override must look like key=value (e.g. model.embeddingDim=64), found '" + override + "'");
        }
        String key = override.substring(0, eq).trim();
        String text = override.substring(eq + 1).trim();
        Object value;
        try {
            value = text.isEmpty() ? "" : yaml().load(text);
        } catch (YAMLException e) {
            throw new ConfigException("cannot read the value of override " + key + ": '" + text + "'", e);
        }
        String[] parts = key.split("\\.");
        Map<String, Object> node = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            Object child = node.get(parts[i]);
            if (child == null) {
                child = new LinkedHashMap<String, Object>();
                node.put(parts[i], child);
            } else if (!(child instanceof Map)) {
                throw new ConfigException("override " + key + ": '" + String.join(".", java.util.Arrays.copyOf(parts, i + 1))
                        + "' is a value, not a section");
            }
            node = (Map<String, Object>) child;
        }
        node.put(parts[parts.length - 1], value instanceof Map<?, ?> m ? copy(m) : value);
    }

    private static RunConfig fromTree(Map<String, Object> tree) {
        Section top = new Section("", tree);
        long seed = top.integer("seed", 42L, Long.MIN_VALUE, Long.MAX_VALUE);

        Section d = top.section("dataset");
        String format = d.choice("format", "folder", RunConfig.FORMATS);
        Path root = Path.of(d.string("root", "datasets/emoji32/images"));
        String split = d.choice("split", "halves", List.of("halves", "official"));
        String test = d.string("test", null);
        int imageSize = d.integer("imageSize", 32, 8, 4096);
        int resize = d.integer("resize", imageSize, 8, 4096);
        String normalization = d.choice("normalization", "unit", List.of("unit", "imagenet", "caffe_bgr", "none"));
        double cropScaleMin = d.number("cropScaleMin", 0.6, 0.01, 1.0);
        double flip = d.number("flip", 0.5, 0.0, 1.0);
        double validation = d.number("validation", 0.0, 0.0, 0.9);
        d.finish();
        RunConfig.Dataset dataset = new RunConfig.Dataset(format, root, split, test == null ? null : Path.of(test), imageSize,
                resize, normalization, cropScaleMin, flip, validation);

        Section s = top.section("sampler");
        RunConfig.Sampler sampler = new RunConfig.Sampler(s.integer("classesPerBatch", 128, 2, 100_000),
                s.integer("imagesPerClass", 2, 2, 1000), s.integer("workers", 2, 1, 64));
        s.finish();

        Section m = top.section("model");
        String backbone = m.choice("backbone", "small-cnn", RunConfig.BACKBONES);
        int[] widths = m.integers("widths", new int[] {40, 80, 160}, 1);
        RunConfig.Model model = new RunConfig.Model(backbone, widths, m.choice("head", "pooled-conv", List.of("global", "pooled-conv")),
                m.integer("embeddingDim", 128, 1, 65_536),
                m.bool("multiLevel", true), m.bool("headBatchNorm", false), m.number("dropout", 0.0, 0.0, 0.99),
                m.string("pretrained", "none"), m.bool("frozenBatchNorm", false));
        m.finish();

        RunConfig.Loss loss = loss(top.section("loss"));

        Section o = top.section("optimizer");
        String type = o.choice("type", "adam", List.of("adam", "sgd"));
        RunConfig.Optimizer optimizer = new RunConfig.Optimizer(type,
                o.number("learningRate", type.equals("adam") ? 2e-3 : 1e-2, 1e-12, 10),
                o.number("momentum", 0.9, 0, 0.999999), o.number("weightDecay", 0.0, 0, 1),
                o.number("headLearningRateMultiplier", 1.0, 1e-6, 1e6), o.number("decay", 0.5, 1e-6, 1.0),
                o.integer("decayEvery", 47, 0, Integer.MAX_VALUE));
        o.finish();

        Section t = top.section("training");
        RunConfig.Training training = new RunConfig.Training(t.integer("epochs", 20, 1, 1_000_000),
                t.integer("iterations", 0, 0, Integer.MAX_VALUE), t.integer("checkpointEvery", 28, 0, Integer.MAX_VALUE));
        t.finish();

        Section e = top.section("evaluation");
        RunConfig.Evaluation evaluation = new RunConfig.Evaluation(e.integer("every", 70, 0, Integer.MAX_VALUE),
                e.integers("recallAt", new int[] {1, 2, 4, 8}, 1), e.bool("nmi", true), e.bool("baselines", true),
                e.string("bestMetric", "recall@1").toLowerCase(Locale.ROOT), e.integer("batchSize", 256, 1, 100_000),
                e.integer("reportQueries", 12, 0, 1000), e.bool("flipAverage", false));
        e.finish();

        Section u = top.section("ui");
        RunConfig.Ui ui = new RunConfig.Ui(u.bool("enabled", true), u.integer("port", 9000, 0, 65_535),
                u.bool("localhostOnly", true), u.string("remote", ""));
        u.finish();

        Section out = top.section("output");
        RunConfig.Output output = new RunConfig.Output(Path.of(out.string("dir", "runs")));
        out.finish();

        Section sp = top.section("spark");
        RunConfig.Spark spark = new RunConfig.Spark(sp.string("master", ""), sp.integer("workers", 2, 1, 100_000),
                sp.integer("averagingFrequency", 5, 1, 1_000_000), sp.integer("prefetch", 2, 0, 1000),
                sp.bool("collectStats", false));
        sp.finish();
        if (!spark.master().isEmpty() && loss.memory() != null) {
            throw new ConfigException("loss.memory: the cross-batch memory lives in one process, and Spark's workers start "
                    + "each round from a fresh copy of the network; remove loss.memory or train without spark.master (found '"
                    + spark.master() + "')");
        }
        top.finish();
        return new RunConfig(seed, dataset, sampler, model, loss, optimizer, training,
                evaluation, ui, output, spark);
    }

    /** The loss section: {@code type} first, then that loss's own keys (any other key is an error). */
    private static RunConfig.Loss loss(Section l) {
        String type = l.choice("type", "rll", RunConfig.LOSS_TYPES);
        RunConfig.Loss loss;
        try {
            if (type.equals("rll")) {
                loss = rankedListLoss(l);
            } else {
                if (l.has("memory")) {
                    throw new ConfigException("loss.memory: the cross-batch memory is for the Ranked List Loss (loss.type rll), "
                            + "found loss.type " + type + "; remove loss.memory or set loss.type to rll");
                }
                loss = new RunConfig.Loss(type, null, null, null, baseline(type, l), null);
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException("loss (type " + type + "): " + e.getMessage(), e);
        }
        l.finish();
        return loss;
    }

    private static RunConfig.Loss rankedListLoss(Section l) {
        String implementation = l.choice("implementation", "kernel", List.of("kernel", "samediff"));
        String preset = l.choice("preset", "paper", RunConfig.PRESETS);
        RankedListLossConfig.Builder lb = preset(preset).toBuilder();
        Double alpha = l.optionalNumber("alpha", -1e9, 1e9);
        Double margin = l.optionalNumber("margin", -1e9, 1e9);
        Double tn = l.optionalNumber("tn", -1e9, 1e9);
        Double tp = l.optionalNumber("tp", -1e9, 1e9);
        Double lambda = l.optionalNumber("lambda", -1e9, 1e9);
        String wg = l.string("weightGradient", null);
        if (alpha != null) {
            lb.alpha(alpha);
        }
        if (margin != null) {
            lb.margin(margin);
        }
        if (tn != null) {
            lb.tn(tn);
        }
        if (tp != null) {
            lb.tp(tp);
        }
        if (lambda != null) {
            lb.lambda(lambda);
        }
        if (wg != null) {
            try {
                lb.weightGradient(RankedListLossConfig.WeightGradient.valueOf(wg.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("loss.weightGradient must be one of [constant, flow], found '" + wg + "'");
            }
        }
        CrossBatchMemoryConfig memory = memory(l);
        if (memory != null && !implementation.equals("kernel")) {
            throw new ConfigException("loss.memory: the cross-batch memory is computed by the kernel implementation, found "
                    + "loss.implementation " + implementation + "; set loss.implementation to kernel or remove loss.memory");
        }
        return new RunConfig.Loss("rll", preset, lb.build(),
                RankedListLossImplementation.valueOf(implementation.toUpperCase(Locale.ROOT)), null, memory);
    }

    /** {@code loss.memory}: size M (0, the default: none) and warmupIterations; null when off. */
    private static CrossBatchMemoryConfig memory(Section l) {
        Section m = l.section("memory");
        int size = m.integer("size", 0, 0, 100_000_000);
        long warmup = m.integer("warmupIterations", 0L, 0L, Long.MAX_VALUE);
        m.finish();
        return size == 0 ? null : CrossBatchMemoryConfig.of(size, warmup);
    }

    /** A baseline loss from its keys; the defaults are each loss's own (see its config class). */
    private static MetricLossConfig baseline(String type, Section l) {
        return switch (type) {
            case "contrastive" -> {
                ContrastiveLossConfig d = ContrastiveLossConfig.defaults();
                yield ContrastiveLossConfig.builder().positiveMargin(l.number("positiveMargin", d.positiveMargin(), -1e9, 1e9))
                        .negativeMargin(l.number("negativeMargin", d.negativeMargin(), -1e9, 1e9)).build();
            }
            case "triplet" -> TripletLossConfig.builder().margin(l.number("margin", TripletLossConfig.batchHard().margin(), -1e9, 1e9))
                    .mining(l.choice("mining", "batch-hard", List.of("batch-hard", "semi-hard")).equals("batch-hard")
                            ? TripletLossConfig.Mining.BATCH_HARD : TripletLossConfig.Mining.SEMI_HARD).build();
            case "lifted-structure" -> LiftedStructureLossConfig.withMargin(
                    l.number("margin", LiftedStructureLossConfig.defaults().margin(), -1e9, 1e9));
            case "n-pair" -> NPairLossConfig.withL2Regularization(
                    l.number("l2Regularization", NPairLossConfig.defaults().l2Regularization(), -1e9, 1e9));
            case "multi-similarity" -> {
                MultiSimilarityLossConfig d = MultiSimilarityLossConfig.defaults();
                yield MultiSimilarityLossConfig.builder().alpha(l.number("alpha", d.alpha(), -1e9, 1e9))
                        .beta(l.number("beta", d.beta(), -1e9, 1e9)).lambda(l.number("lambda", d.lambda(), -1e9, 1e9))
                        .epsilon(l.number("epsilon", d.epsilon(), -1e9, 1e9)).build();
            }
            default -> throw new IllegalStateException("loss type " + type + " is in LOSS_TYPES but not built here");
        };
    }

    private static RankedListLossConfig preset(String name) {
        return switch (name) {
            case "sop" -> RankedListLossConfig.sop();
            case "cub" -> RankedListLossConfig.cub();
            case "cars196" -> RankedListLossConfig.cars196();
            case "inshop" -> RankedListLossConfig.inShop();
            default -> RankedListLossConfig.paper();
        };
    }
}
