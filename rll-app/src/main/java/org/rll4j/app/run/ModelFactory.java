package org.rll4j.app.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;
import org.rll4j.app.config.ConfigException;
import org.rll4j.app.config.RunConfig;
import org.rll4j.models.Backbone;
import org.rll4j.models.BnInception;
import org.rll4j.models.EmbeddingHead;
import org.rll4j.models.EmbeddingModel;
import org.rll4j.models.NpzWeightImporter;
import org.rll4j.models.PretrainedWeights;
import org.rll4j.models.ResNet50Backbone;
import org.rll4j.models.SmallCnn;
import org.rll4j.models.SqueezeNetBackbone;
import org.rll4j.models.WeightImportReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the embedding network a {@link RunConfig} describes, with its updater and pretrained weights. */
public final class ModelFactory {

    private static final Logger log = LoggerFactory.getLogger(ModelFactory.class);

    private ModelFactory() {
    }

    /** The backbone for the config's model section and input. */
    public static Backbone backbone(RunConfig config) {
        RunConfig.Model m = config.model();
        int size = config.dataset().imageSize();
        int channels = RunData.channels(config.dataset());
        try {
            return switch (m.backbone()) {
                case "small-cnn" -> new SmallCnn(size, size, channels, m.widths());
                case "bn-inception" -> BnInception.builder().inputSize(size, size).channels(channels).build();
                case "resnet50" -> ResNet50Backbone.builder().imageSize(size).channels(channels).build();
                case "squeezenet" -> SqueezeNetBackbone.builder().imageSize(size).channels(channels).build();
                default -> throw new ConfigException("model.backbone: unknown '" + m.backbone() + "'");
            };
        } catch (IllegalArgumentException e) {
            throw new ConfigException("model.backbone " + m.backbone() + " with dataset.imageSize " + size + ": " + e.getMessage(), e);
        }
    }

    /** The learning-rate schedule of the optimizer section, or null for a constant rate. */
    static ISchedule schedule(RunConfig.Optimizer o) {
        if (o.decayEvery() == 0 || o.decay() == 1.0) {
            return null;
        }
        return new StepSchedule(ScheduleType.ITERATION, o.learningRate(), o.decay(), o.decayEvery());
    }

    static IUpdater updater(RunConfig.Optimizer o) {
        ISchedule s = schedule(o);
        if (o.type().equals("sgd")) {
            return s == null ? new Nesterovs(o.learningRate(), o.momentum()) : new Nesterovs(s, o.momentum());
        }
        return s == null ? new Adam(o.learningRate()) : new Adam(s);
    }

    /**
     * Builds and initialises the network, and loads pretrained weights when the config asks: their
     * import report ({@link WeightImportReport#summary(EmbeddingModel)}) is logged at INFO, and every layer of the
     * backbone that holds parameters must have been loaded (the heads are new and need not be).
     *
     * @throws IOException when a weights file cannot be read (the message says which file to put where)
     * @throws ConfigException when the weights leave a backbone layer unloaded (the message names the
     *     layers, the weights and the backbone)
     */
    public static EmbeddingModel build(RunConfig config) throws IOException {
        EmbeddingModel model = architecture(config);
        loadPretrained(config.model(), model);
        return model;
    }

    /**
     * A checkpointed network continued with another optimizer section (a resumed run whose learning
     * rate, momentum, weight decay, head multiplier or schedule changed): the network the config
     * describes, with the checkpoint's weights, updater state (the same layout for the same updater
     * type) and iteration and epoch counters, so schedules continue where they were.
     */
    public static ComputationGraph withOptimizer(ComputationGraph restored, RunConfig config) {
        ComputationGraph net = architecture(config).network();
        net.setParams(restored.params());
        INDArray state = restored.getUpdater().getStateViewArray();
        if (state != null) {
            net.getUpdater().getStateViewArray().assign(state);
        }
        net.getConfiguration().setIterationCount(restored.getConfiguration().getIterationCount());
        net.getConfiguration().setEpochCount(restored.getConfiguration().getEpochCount());
        return net;
    }

    /** The network the config describes, initialised from the seed, without pretrained weights. */
    static EmbeddingModel architecture(RunConfig config) {
        RunConfig.Model m = config.model();
        EmbeddingHead head = EmbeddingHead.builder()
                .kind(m.head().equals("global") ? EmbeddingHead.Kind.GLOBAL : EmbeddingHead.Kind.POOLED_CONV)
                .embeddingDim(m.embeddingDim()).batchNorm(m.headBatchNorm())
                .dropout(m.dropout()).lossLayer(config.loss()::layer).build();
        EmbeddingModel model = EmbeddingModel.builder().backbone(backbone(config)).head(head).multiLevel(m.multiLevel())
                .updater(updater(config.optimizer())).headLearningRateMultiplier(config.optimizer().headLearningRateMultiplier())
                .weightDecay(config.optimizer().weightDecay()).frozenBatchNorm(m.frozenBatchNorm()).seed(config.seed())
                .build();
        return model;
    }

    private static void loadPretrained(RunConfig.Model m, EmbeddingModel model) throws IOException {
        String p = m.pretrained();
        if (p.equals("none")) {
            return;
        }
        ComputationGraph net = model.network();
        String weights;
        WeightImportReport report;
        if (p.equals("zoo")) {
            PretrainedWeights.ZooWeights w = switch (m.backbone()) {
                case "resnet50" -> PretrainedWeights.ZooWeights.RESNET50_IMAGENET;
                case "squeezenet" -> PretrainedWeights.ZooWeights.SQUEEZENET_IMAGENET;
                default -> throw new ConfigException(String.format(Locale.ROOT,
                        "model.pretrained 'zoo' exists for resnet50 and squeezenet; for %s give a file (bn-inception: a "
                                + "PyTorch .npz, see NpzWeightImporter) or 'none'", m.backbone()));
            };
            weights = "DL4J zoo weights " + w + " at " + w.cachedFile();
            report = PretrainedWeights.copyByName(PretrainedWeights.restore(w), net);
        } else {
            Path file = Path.of(p);
            if (!Files.isRegularFile(file)) {
                throw new NoSuchFileException(file.toString(), null, "model.pretrained names a file that does not exist");
            }
            weights = file.toAbsolutePath().toString();
            report = p.endsWith(".npz") ? NpzWeightImporter.lenient().importInto(net, file)
                    : PretrainedWeights.copyByName(ModelSerializer.restoreComputationGraph(file.toFile(), false), net);
        }
        log.info("pretrained weights {} into model.backbone {} ({} backbone layers hold parameters):\n{}", weights,
                m.backbone(), model.backboneParameterLayers().size(), report.summary(model));
        try {
            report.requireBackboneLoaded(model);
        } catch (IllegalStateException e) {
            throw new ConfigException("model.pretrained '" + p + "'" + (weights.equals(p) ? "" : " (" + weights + ")")
                    + " does not fit model.backbone " + m.backbone() + ": " + e.getMessage(), e);
        }
    }
}
