package org.rll4j.app.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.loss.RankedListLossLayer;
import org.rll4j.loss.ContrastiveLossConfig;
import org.rll4j.loss.CrossBatchMemoryConfig;
import org.rll4j.loss.LiftedStructureLossConfig;
import org.rll4j.loss.NPairLossConfig;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.rll4j.loss.MetricLossConfig;
import org.rll4j.loss.MetricLossLayer;
import org.rll4j.loss.MultiSimilarityLossConfig;
import org.rll4j.loss.RankedListLossImplementation;
import org.rll4j.loss.TripletLossConfig;

/**
 * Everything a run needs, read from a YAML (or JSON) file plus command-line overrides by
 * {@link ConfigLoader}; immutable and validated on construction. Each section documents its keys;
 * {@link #toMap()} gives the canonical form written into the run directory as the config snapshot
 * (every default filled in), which loads back to an equal config.
 *
 * @param seed seed of everything random in a run (weights, sampler, augmentation, k-means)
 * @param dataset where the images come from and how they are split and prepared
 * @param sampler the C x K class-balanced batches
 * @param model backbone and heads
 * @param loss the Ranked List Loss hyper-parameters
 * @param optimizer updater, learning rate, schedule, weight decay
 * @param training length and checkpoints
 * @param evaluation retrieval evaluation on the unseen classes
 * @param ui the DL4J training UI
 * @param output where run directories go
 * @param spark training on Apache Spark instead of in this process
 */
public record RunConfig(long seed, Dataset dataset, Sampler sampler, Model model, Loss loss, Optimizer optimizer,
                        Training training, Evaluation evaluation, Ui ui, Output output, Spark spark) {

    /** Dataset formats the runner reads (see rll-data's readers). */
    public static final List<String> FORMATS = List.of("folder", "cub", "sop", "inshop", "csv", "idx");
    /** Backbones of rll-models. */
    public static final List<String> BACKBONES = List.of("small-cnn", "bn-inception", "resnet50", "squeezenet");
    /** Loss presets of {@link RankedListLossConfig}. */
    public static final List<String> PRESETS = List.of("paper", "sop", "cub", "cars196", "inshop");
    /** The losses {@code loss.type} selects: the Ranked List Loss and the baselines it is compared with. */
    public static final List<String> LOSS_TYPES = List.of("rll", "contrastive", "triplet", "lifted-structure", "n-pair",
            "multi-similarity");

    /**
     * @param format one of {@link #FORMATS}
     * @param root the dataset's root (folder of class folders, CUB/SOP/In-Shop root) or, for csv, the list
     *             file; relative paths resolve against the working directory
     * @param split {@code halves} (the first half of the sorted class names trains, the second is
     *              tested) or {@code official} (CUB 1-100/101-200, SOP Ebay_train/Ebay_test, In-Shop
     *              query/gallery)
     * @param test for idx: the test images file (the training images file is {@code root}); unused otherwise
     * @param imageSize side of the square network input
     * @param resize test-time resize before the centre crop to {@code imageSize}
     * @param normalization {@code unit} (x/255), {@code imagenet}, {@code caffe_bgr} or {@code none}
     * @param cropScaleMin smallest area fraction of the training random resized crop (1 = no crop)
     * @param flip probability of a horizontal flip in training
     * @param validation fraction of the training classes held out for tuning, in [0, 0.9]: when above 0 the run
     *                   trains on the other training classes and evaluates on these (the test classes stay
     *                   unseen); 0 = train on all training classes and evaluate on the test classes
     */
    public record Dataset(String format, Path root, String split, Path test, int imageSize, int resize,
                          String normalization, double cropScaleMin, double flip, double validation) {
        /** Validates. */
        public Dataset {
            if (resize < imageSize) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "dataset.resize (%d) must be >= dataset.imageSize (%d): the test crop is taken from the resized image",
                        resize, imageSize));
            }
            if (split.equals("official") && (format.equals("folder") || format.equals("csv") || format.equals("idx"))) {
                throw new ConfigException("dataset.split 'official' exists for cub, sop and inshop only; use 'halves' for "
                        + format);
            }
            if (format.equals("inshop") && !split.equals("official")) {
                throw new ConfigException("dataset.split must be 'official' for inshop (query/gallery from list_eval_partition.txt)");
            }
            if (format.equals("sop") && !split.equals("official")) {
                throw new ConfigException("dataset.split must be 'official' for sop (Ebay_train.txt / Ebay_test.txt)");
            }
            if (format.equals("idx") && test == null) {
                throw new ConfigException("dataset.test must name the IDX test images file for format idx (root is the "
                        + "training images file; labels are found beside each)");
            }
        }
    }

    /**
     * @param classesPerBatch C, classes per batch
     * @param imagesPerClass K, images per class (sampled without replacement, with replacement only
     *                       for a class with fewer images)
     * @param workers threads decoding and augmenting images
     */
    public record Sampler(int classesPerBatch, int imagesPerClass, int workers) {
    }

    /**
     * @param backbone one of {@link #BACKBONES}
     * @param widths channels of the small CNN's stages (small-cnn only)
     * @param head {@code global} (global average pooling -> [BN] -> dense D, the paper's RLL-H) or
     *             {@code pooled-conv} (5x5/3 average pooling -> 1x1 conv 128 -> dense 1024 -> dense D, the
     *             paper's L/M head shape, which keeps a coarse spatial layout)
     * @param embeddingDim D
     * @param multiLevel RLL-(L,M,H) instead of RLL-H
     * @param headBatchNorm batch norm before the embedding layer
     * @param dropout dropout before the embedding layer, in [0, 1)
     * @param pretrained {@code none}, {@code zoo} (DL4J's ImageNet weights from ~/.deeplearning4j; resnet50,
     *                   squeezenet) or a path to a DL4J model zip or a PyTorch {@code .npz} (bn-inception)
     * @param frozenBatchNorm freeze the backbone's batch norms
     */
    public record Model(String backbone, int[] widths, String head, int embeddingDim, boolean multiLevel, boolean headBatchNorm,
                        double dropout, String pretrained, boolean frozenBatchNorm) {
        /** Validates and copies the widths. */
        public Model {
            widths = widths.clone();
            if (headBatchNorm && head.equals("pooled-conv")) {
                throw new ConfigException("model.headBatchNorm applies to the global head only (the pooled-conv head has its "
                        + "own batch norms); set it to false or use model.head: global");
            }
        }

        @Override
        public int[] widths() {
            return widths.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Model m && backbone.equals(m.backbone) && Arrays.equals(widths, m.widths)
                    && head.equals(m.head) && embeddingDim == m.embeddingDim && multiLevel == m.multiLevel && headBatchNorm == m.headBatchNorm
                    && dropout == m.dropout && pretrained.equals(m.pretrained) && frozenBatchNorm == m.frozenBatchNorm;
        }

        @Override
        public int hashCode() {
            return backbone.hashCode() * 31 + Arrays.hashCode(widths) + embeddingDim;
        }

        @Override
        public String toString() {
            return "Model[" + backbone + " " + Arrays.toString(widths) + ", head=" + head + ", D=" + embeddingDim + ", multiLevel=" + multiLevel
                    + ", headBatchNorm=" + headBatchNorm + ", dropout=" + dropout + ", pretrained=" + pretrained
                    + ", frozenBatchNorm=" + frozenBatchNorm + "]";
        }
    }

    /**
     * @param type one of {@link #LOSS_TYPES}; {@code rll} for the Ranked List Loss
     * @param preset (rll) the preset the values start from, one of {@link #PRESETS}; null for a baseline
     * @param config (rll) the resulting loss configuration (preset plus any of alpha, margin, tn, tp, lambda,
     *               weightGradient given in the file); null for a baseline
     * @param implementation (rll) the layer that computes it: the hand-derived kernel (default) or the SameDiff
     *                       graph; null for a baseline
     * @param baseline the baseline loss and its hyper-parameters; null for rll
     * @param memory (rll, kernel) the cross-batch memory ({@code loss.memory.size}, {@code loss.memory.warmupIterations});
     *               null for the in-batch loss
     */
    public record Loss(String type, String preset, RankedListLossConfig config, RankedListLossImplementation implementation,
                       MetricLossConfig baseline, CrossBatchMemoryConfig memory) {

        /** Whether this is the Ranked List Loss (else a baseline). */
        public boolean isRankedListLoss() {
            return baseline == null;
        }

        /** An upper bound of one head's batch-mean loss for a batch of {@code batchSize}. */
        public double maxBatchMean(int batchSize) {
            return isRankedListLoss() ? config.maxBatchMean() : baseline.maxBatchMean(batchSize);
        }

        /** A new loss layer for one head: the Ranked List Loss in its implementation, or the baseline's layer. */
        public Layer layer() {
            if (!isRankedListLoss()) {
                return MetricLossLayer.of(baseline);
            }
            return memory == null ? implementation.layer(config) : RankedListLossLayer.of(config, memory);
        }

        /** What the loss is, for logs and reports. */
        public String describe() {
            return isRankedListLoss() ? "rll " + preset + " " + config + " (" + implementation.configName() + ")"
                    + (memory == null ? "" : ", cross-batch memory of " + memory.size() + " after " + memory.warmupIterations()
                    + " iterations") : baseline.toString();
        }
    }

    /**
     * @param type {@code adam} or {@code sgd} (with Nesterov momentum)
     * @param learningRate base learning rate
     * @param momentum SGD momentum (sgd only)
     * @param weightDecay decoupled weight decay coefficient
     * @param headLearningRateMultiplier the heads' learning rate relative to the backbone's (the paper: 10
     *                                   when fine-tuning a pretrained backbone)
     * @param decay step schedule: multiply the learning rate by this every {@code decayEvery} iterations
     *              (1 = constant)
     * @param decayEvery iterations between decays (0 = constant)
     */
    public record Optimizer(String type, double learningRate, double momentum, double weightDecay,
                            double headLearningRateMultiplier, double decay, int decayEvery) {
    }

    /**
     * @param epochs epochs of training: an epoch shows about as many images as the training classes hold
     *               (at least one pass over the classes; see {@code ClassBalancedBatchSampler})
     * @param iterations if > 0, the run's length in iterations instead of epochs (the paper's unit)
     * @param checkpointEvery iterations between checkpoints (0 = only at the end)
     */
    public record Training(int epochs, int iterations, int checkpointEvery) {
        /** Iterations of the run, given the batches of an epoch. */
        public long totalIterations(int batchesPerEpoch) {
            return iterations > 0 ? iterations : (long) epochs * batchesPerEpoch;
        }
    }

    /**
     * @param every iterations between retrieval evaluations during training (0 = only at the end)
     * @param recallAt the K of Recall@K
     * @param nmi also cluster the test embeddings (k-means, one cluster per class) for NMI
     * @param baselines also evaluate raw pixels and the untrained network (the table's first rows)
     * @param bestMetric the metric that picks the best model: {@code recall@K} for a K in recallAt,
     *                   {@code map@r} or {@code nmi}
     * @param batchSize images per forward pass when embedding the test set
     * @param reportQueries queries shown in the HTML report
     * @param flipAverage embed each test image and its mirror image and sum the raw embeddings before
     *                    normalising (test-time flip, {@code EmbeddingExtractor.withFlipAveraging})
     */
    public record Evaluation(int every, int[] recallAt, boolean nmi, boolean baselines, String bestMetric, int batchSize,
                             int reportQueries, boolean flipAverage) {
        /** Validates and copies. */
        public Evaluation {
            recallAt = recallAt.clone();
            Arrays.sort(recallAt);
            boolean ok = bestMetric.equals("map@r") || bestMetric.equals("nmi") && nmi;
            for (int k : recallAt) {
                ok |= bestMetric.equals("recall@" + k);
            }
            if (!ok) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "evaluation.bestMetric must be one of recall@K for K in %s, map@r%s; found '%s'", Arrays.toString(recallAt),
                        nmi ? " or nmi" : " (nmi needs evaluation.nmi: true)", bestMetric));
            }
        }

        @Override
        public int[] recallAt() {
            return recallAt.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Evaluation e && every == e.every && Arrays.equals(recallAt, e.recallAt) && nmi == e.nmi
                    && baselines == e.baselines && bestMetric.equals(e.bestMetric) && batchSize == e.batchSize
                    && reportQueries == e.reportQueries && flipAverage == e.flipAverage;
        }

        @Override
        public int hashCode() {
            return every * 31 + Arrays.hashCode(recallAt) + bestMetric.hashCode();
        }

        @Override
        public String toString() {
            return "Evaluation[every=" + every + ", recallAt=" + Arrays.toString(recallAt) + ", nmi=" + nmi + ", baselines="
                    + baselines + ", bestMetric=" + bestMetric + ", batchSize=" + batchSize + ", reportQueries=" + reportQueries
                    + ", flipAverage=" + flipAverage + "]";
        }
    }

    /**
     * @param enabled serve the DL4J training UI while training
     * @param port its port (0 = any free port)
     * @param localhostOnly bind to localhost only
     * @param remote also post the run's stats to the DL4J UI at this address ({@code http://host:port}, a UI started
     *               with {@code rll ui --receive}; e.g. a UI outside the Spark cluster), or {@code ""} for none
     */
    public record Ui(boolean enabled, int port, boolean localhostOnly, String remote) {
        /** Validates. */
        public Ui {
            if (!remote.isEmpty() && !remote.matches("https?://[^/\\s]+(:\\d+)?/?")) {
                throw new ConfigException("ui.remote must be the address of a DL4J UI, like http://host:9000, or empty; found '"
                        + remote + "'");
            }
        }
    }

    /**
     * Training on Apache Spark with DL4J's parameter averaging (rll-spark): the driver (this process) holds the model,
     * evaluates, checkpoints and reports; the executors build and fit the C x K batches.
     *
     * @param master the Spark master: {@code ""} trains in this process, else {@code local[N]}, {@code spark://host:7077},
     *               {@code yarn} or {@code k8s://https://host:port}
     * @param workers Spark tasks that train at once (executors x cores per executor)
     * @param averagingFrequency batches each worker fits between two parameter averagings
     * @param prefetch batches a worker builds ahead of the one it fits
     * @param collectStats collect DL4J's Spark timing stats and write them to the run directory
     */
    public record Spark(String master, int workers, int averagingFrequency, int prefetch, boolean collectStats) {
        /** Validates. */
        public Spark {
            master = master.trim();
            if (!master.isEmpty() && !master.matches("local(\\[(\\d+|\\*)(,\\d+)?])?|spark://.+|yarn|k8s://.+|mesos://.+")) {
                throw new ConfigException("spark.master must be empty (train in this process), local[N], spark://host:port, yarn "
                        + "or k8s://https://host:port; found '" + master + "'");
            }
        }

        /** Whether the run trains on Spark. */
        public boolean enabled() {
            return !master.isEmpty();
        }
    }

    /** @param dir the folder that holds run directories */
    public record Output(Path dir) {
    }

    /**
     * This config with its file paths made absolute against the working directory ({@code dataset.root},
     * {@code dataset.test}, a file in {@code model.pretrained}, {@code output.dir}): the form a run
     * directory records, so that {@code evaluate --run} and {@code --resume} work from any folder.
     */
    public RunConfig withAbsolutePaths() {
        Dataset d = new Dataset(dataset.format(), absolute(dataset.root()), dataset.split(),
                dataset.test() == null ? null : absolute(dataset.test()), dataset.imageSize(), dataset.resize(),
                dataset.normalization(), dataset.cropScaleMin(), dataset.flip(), dataset.validation());
        String p = model.pretrained();
        Model m = p.equals("none") || p.equals("zoo") ? model : new Model(model.backbone(), model.widths(), model.head(),
                model.embeddingDim(), model.multiLevel(), model.headBatchNorm(), model.dropout(), absolute(Path.of(p)).toString(),
                model.frozenBatchNorm());
        return new RunConfig(seed, d, sampler, m, loss, optimizer, training, evaluation, ui, new Output(absolute(output.dir())), spark);
    }

    private static Path absolute(Path p) {
        return p.toAbsolutePath().normalize();
    }

    /** This config with another UI section (e.g. {@code --no-ui}, recorded so that a resumed run keeps it). */
    public RunConfig withUi(Ui newUi) {
        return new RunConfig(seed, dataset, sampler, model, loss, optimizer, training, evaluation, newUi, output, spark);
    }

    /** The canonical, complete form (every default filled in), for the config snapshot. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seed", seed);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("format", dataset.format());
        d.put("root", dataset.root().toString());
        d.put("split", dataset.split());
        if (dataset.test() != null) {
            d.put("test", dataset.test().toString());
        }
        d.put("imageSize", dataset.imageSize());
        d.put("resize", dataset.resize());
        d.put("normalization", dataset.normalization());
        d.put("validation", dataset.validation());
        d.put("cropScaleMin", dataset.cropScaleMin());
        d.put("flip", dataset.flip());
        m.put("dataset", d);
        m.put("sampler", ordered("classesPerBatch", sampler.classesPerBatch(), "imagesPerClass", sampler.imagesPerClass(),
                "workers", sampler.workers()));
        Map<String, Object> mo = new LinkedHashMap<>();
        mo.put("backbone", model.backbone());
        mo.put("widths", Arrays.stream(model.widths()).boxed().toList());
        mo.put("head", model.head());
        mo.put("embeddingDim", model.embeddingDim());
        mo.put("multiLevel", model.multiLevel());
        mo.put("headBatchNorm", model.headBatchNorm());
        mo.put("dropout", model.dropout());
        mo.put("pretrained", model.pretrained());
        mo.put("frozenBatchNorm", model.frozenBatchNorm());
        m.put("model", mo);
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("type", loss.type());
        if (loss.isRankedListLoss()) {
            RankedListLossConfig c = loss.config();
            l.put("implementation", loss.implementation().configName());
            l.put("preset", loss.preset());
            l.put("alpha", c.alpha());
            l.put("margin", c.margin());
            l.put("tn", c.tn());
            l.put("tp", c.tp());
            l.put("lambda", c.lambda());
            l.put("weightGradient", c.weightGradient().name().toLowerCase(Locale.ROOT));
            if (loss.memory() != null) {
                Map<String, Object> mem = new LinkedHashMap<>();
                mem.put("size", loss.memory().size());
                mem.put("warmupIterations", loss.memory().warmupIterations());
                l.put("memory", mem);
            }
        } else if (loss.baseline() instanceof ContrastiveLossConfig c) {
            l.put("positiveMargin", c.positiveMargin());
            l.put("negativeMargin", c.negativeMargin());
        } else if (loss.baseline() instanceof TripletLossConfig c) {
            l.put("margin", c.margin());
            l.put("mining", c.mining() == TripletLossConfig.Mining.BATCH_HARD ? "batch-hard" : "semi-hard");
        } else if (loss.baseline() instanceof LiftedStructureLossConfig c) {
            l.put("margin", c.margin());
        } else if (loss.baseline() instanceof NPairLossConfig c) {
            l.put("l2Regularization", c.l2Regularization());
        } else if (loss.baseline() instanceof MultiSimilarityLossConfig c) {
            l.put("alpha", c.alpha());
            l.put("beta", c.beta());
            l.put("lambda", c.lambda());
            l.put("epsilon", c.epsilon());
        }
        m.put("loss", l);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("type", optimizer.type());
        o.put("learningRate", optimizer.learningRate());
        o.put("momentum", optimizer.momentum());
        o.put("weightDecay", optimizer.weightDecay());
        o.put("headLearningRateMultiplier", optimizer.headLearningRateMultiplier());
        o.put("decay", optimizer.decay());
        o.put("decayEvery", optimizer.decayEvery());
        m.put("optimizer", o);
        m.put("training", ordered("epochs", training.epochs(), "iterations", training.iterations(), "checkpointEvery",
                training.checkpointEvery()));
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("every", evaluation.every());
        e.put("recallAt", Arrays.stream(evaluation.recallAt()).boxed().toList());
        e.put("nmi", evaluation.nmi());
        e.put("baselines", evaluation.baselines());
        e.put("bestMetric", evaluation.bestMetric());
        e.put("batchSize", evaluation.batchSize());
        e.put("reportQueries", evaluation.reportQueries());
        e.put("flipAverage", evaluation.flipAverage());
        m.put("evaluation", e);
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("enabled", ui.enabled());
        u.put("port", ui.port());
        u.put("localhostOnly", ui.localhostOnly());
        u.put("remote", ui.remote());
        m.put("ui", u);
        m.put("output", ordered("dir", output.dir().toString()));
        m.put("spark", ordered("master", spark.master(), "workers", spark.workers(), "averagingFrequency",
                spark.averagingFrequency(), "prefetch", spark.prefetch(), "collectStats", spark.collectStats()));
        return m;
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
