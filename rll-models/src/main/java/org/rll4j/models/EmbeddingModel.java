package org.rll4j.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * An embedding network: a {@link Backbone} with one Ranked List Loss head (RLL-H) or three
 * (RLL-(L,M,H): a {@link EmbeddingHead.Kind#POOLED_CONV} head on the low and mid stages and the
 * configured head on the high stage, each with its own loss of weight 1, trained jointly).
 *
 * <p>Layer names: the backbone's own, then {@code embedding}/{@code rll} for RLL-H, or
 * {@code low_*}, {@code mid_*}, {@code high_*} for the three heads (see {@link EmbeddingHead}).
 * The graph's input is named {@code input}. At inference, {@link EmbeddingExtractor} concatenates
 * the raw head outputs and L2-normalises them.
 *
 * <p>Fine-tuning options: a learning-rate multiplier for the heads (the paper trains them at 10x),
 * and freezing the backbone for good ({@link Builder#frozenBackbone(boolean)}) or for the first N
 * iterations ({@link BackboneWarmup}), and freezing the backbone's batch normalisation
 * ({@link Builder#frozenBatchNorm(boolean)}: every batch norm of the backbone becomes a
 * {@link FrozenBatchNormalization}, which normalises with the stored statistics and keeps them and its
 * scale and shift fixed while the convolutions around it train).
 */
public final class EmbeddingModel {

    /** Name of the graph's input vertex. */
    public static final String INPUT = "input";

    private final ComputationGraph network;
    private final List<EmbeddingHead.Names> heads;
    private final Set<String> backboneLayers;
    private final Backbone backbone;

    private EmbeddingModel(ComputationGraph network, List<EmbeddingHead.Names> heads, Set<String> backboneLayers,
                           Backbone backbone) {
        this.network = network;
        this.heads = List.copyOf(heads);
        this.backboneLayers = Collections.unmodifiableSet(backboneLayers);
        this.backbone = backbone;
    }

    /** A builder; backbone and head are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The initialised network. */
    public ComputationGraph network() {
        return network;
    }

    /** The heads, in output order (one for RLL-H; low, mid, high for RLL-(L,M,H)). */
    public List<EmbeddingHead.Names> heads() {
        return heads;
    }

    /** Names of the backbone's vertices. */
    public Set<String> backboneLayers() {
        return backboneLayers;
    }

    /**
     * The backbone's layers that hold parameters, in the order the backbone added them: the layers
     * pretrained weights must fill ({@link WeightImportReport#requireBackboneLoaded}). The heads' and
     * losses' layers are not among them: they are new for metric learning and no weights file holds them.
     */
    public List<String> backboneParameterLayers() {
        List<String> out = new ArrayList<>();
        for (String name : backboneLayers) {
            org.deeplearning4j.nn.graph.vertex.GraphVertex v = network.getVertex(name);
            if (v.hasLayer() && v.getLayer().numParams() > 0) {
                out.add(name);
            }
        }
        return List.copyOf(out);
    }

    /** The backbone. */
    public Backbone backbone() {
        return backbone;
    }

    /** Validating builder. */
    public static final class Builder {
        private Backbone backbone;
        private EmbeddingHead head;
        private boolean multiLevel;
        private IUpdater updater = new Adam(1e-3);
        private double headLearningRateMultiplier = 1;
        private double weightDecay;
        private boolean frozenBackbone;
        private boolean frozenBatchNorm;
        private long seed = 42;
        private DataType dataType = DataType.FLOAT;

        private Builder() {
        }

        /** The feature extractor (required). */
        public Builder backbone(Backbone backbone) {
            this.backbone = backbone;
            return this;
        }

        /** The (high-level) head (required). */
        public Builder head(EmbeddingHead head) {
            this.head = head;
            return this;
        }

        /** RLL-(L,M,H): also heads on the low and mid stages. Default false (RLL-H). */
        public Builder multiLevel(boolean multiLevel) {
            this.multiLevel = multiLevel;
            return this;
        }

        /** Optimiser of the backbone (and of the heads, scaled by the multiplier). Default Adam 1e-3. */
        public Builder updater(IUpdater updater) {
            this.updater = updater;
            return this;
        }

        /** Learning-rate multiplier of the head layers, {@code > 0}; the paper uses 10. Default 1. */
        public Builder headLearningRateMultiplier(double m) {
            this.headLearningRateMultiplier = m;
            return this;
        }

        /** Weight decay coefficient, {@code >= 0} (the paper: 1e-5 SOP, 2e-5 CUB). Default 0. */
        public Builder weightDecay(double wd) {
            this.weightDecay = wd;
            return this;
        }

        /** Freeze all backbone layers for good (parameters and batch-norm statistics). Default false. */
        public Builder frozenBackbone(boolean frozen) {
            this.frozenBackbone = frozen;
            return this;
        }

        /**
         * Freezes every batch normalisation of the backbone (not of the heads, which start untrained):
         * each normalises with its stored running statistics in training too, and its statistics,
         * scale and shift stay as loaded; see {@link FrozenBatchNormalization}. Default false, as in
         * the paper ("BN not frozen"). Load pretrained weights after building; they copy in by name.
         */
        public Builder frozenBatchNorm(boolean frozen) {
            this.frozenBatchNorm = frozen;
            return this;
        }

        /** Seed of the weight initialisation. Default 42. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Network data type. Default FLOAT. */
        public Builder dataType(DataType dataType) {
            this.dataType = dataType;
            return this;
        }

        /** Validates, builds and initialises the network. */
        public EmbeddingModel build() {
            Objects.requireNonNull(backbone, "backbone must be set");
            Objects.requireNonNull(head, "head must be set");
            Objects.requireNonNull(updater, "updater must not be null");
            if (!(headLearningRateMultiplier > 0) || Double.isInfinite(headLearningRateMultiplier)) {
                throw new IllegalArgumentException("headLearningRateMultiplier must be finite and > 0, found "
                        + headLearningRateMultiplier);
            }
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
                throw new IllegalArgumentException("weightDecay must be finite and >= 0, found " + weightDecay);
            }
            NeuralNetConfiguration.Builder global = new NeuralNetConfiguration.Builder()
                    .seed(seed).dataType(dataType).updater(updater).weightInit(WeightInit.RELU);
            if (weightDecay > 0) {
                global.weightDecay(weightDecay);
            }
            ComputationGraphConfiguration.GraphBuilder graph = global.graphBuilder()
                    .addInputs(INPUT).setInputTypes(backbone.inputType());
            Backbone.Stages stages = backbone.addTo(graph, INPUT);
            Set<String> backboneLayers = new LinkedHashSet<>(graph.getVertices().keySet());
            Map<String, InputType> types = stageTypes(backbone, stages);
            IUpdater headUpdater = headLearningRateMultiplier == 1 ? null : scaled(updater, headLearningRateMultiplier);
            List<EmbeddingHead.Names> heads = new ArrayList<>();
            if (multiLevel) {
                EmbeddingHead side = head.withKind(EmbeddingHead.Kind.POOLED_CONV);
                heads.add(side.attach(graph, stages.low(), types.get(stages.low()), "low_", headUpdater));
                heads.add(side.attach(graph, stages.mid(), types.get(stages.mid()), "mid_", headUpdater));
                heads.add(head.attach(graph, stages.high(), types.get(stages.high()), "high_", headUpdater));
            } else {
                heads.add(head.attach(graph, stages.high(), types.get(stages.high()), "", headUpdater));
            }
            graph.setOutputs(heads.stream().map(EmbeddingHead.Names::output).toArray(String[]::new));
            ComputationGraphConfiguration conf = graph.build();
            if (frozenBatchNorm) {
                freezeBatchNorm(conf, backboneLayers);
            }
            if (frozenBackbone) {
                freeze(conf, backboneLayers);
            }
            ComputationGraph net = new ComputationGraph(conf);
            net.init();
            return new EmbeddingModel(net, heads, backboneLayers, backbone);
        }

        private static void freezeBatchNorm(ComputationGraphConfiguration conf, Set<String> backboneLayers) {
            for (String name : backboneLayers) {
                if (conf.getVertices().get(name) instanceof LayerVertex lv
                        && lv.getLayerConf().getLayer() instanceof BatchNormalization bn) {
                    lv.getLayerConf().setLayer(FrozenBatchNormalization.of(bn));
                }
            }
        }

        private void freeze(ComputationGraphConfiguration conf, Set<String> backboneLayers) {
            for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
                if (!(e.getValue() instanceof LayerVertex lv)) {
                    continue;
                }
                if (frozenBackbone && backboneLayers.contains(e.getKey())) {
                    lv.getLayerConf().setLayer(new FrozenLayer(lv.getLayerConf().getLayer()));
                }
            }
        }

        /** Activation types of the stage vertices, from a throw-away graph holding only the backbone. */
        private static Map<String, InputType> stageTypes(Backbone backbone, Backbone.Stages stages) {
            ComputationGraphConfiguration.GraphBuilder probe = new NeuralNetConfiguration.Builder().graphBuilder()
                    .addInputs(INPUT).setInputTypes(backbone.inputType());
            backbone.addTo(probe, INPUT);
            probe.setOutputs(stages.low(), stages.mid(), stages.high());
            ComputationGraphConfiguration conf = probe.build();
            Map<String, InputType> types = conf.getLayerActivationTypes(backbone.inputType());
            for (String s : List.of(stages.low(), stages.mid(), stages.high())) {
                if (!types.containsKey(s)) {
                    throw new IllegalStateException(String.format(Locale.ROOT,
                            "backbone %s names stage vertex '%s', which it did not add", backbone.name(), s));
                }
            }
            return types;
        }

        private static IUpdater scaled(IUpdater base, double multiplier) {
            IUpdater u = base.clone();
            if (!u.hasLearningRate()) {
                throw new IllegalArgumentException("headLearningRateMultiplier needs an updater with a learning rate, found "
                        + base);
            }
            ISchedule schedule = scheduleOf(base);
            if (schedule != null) {
                u.setLrAndSchedule(Double.NaN, new ScaledSchedule(schedule, multiplier));
            } else {
                u.setLrAndSchedule(base.getLearningRate(0, 0) * multiplier, null);
            }
            return u;
        }
    }

    /** DL4J's updaters expose their learning-rate schedule only as a bean property, not on IUpdater. */
    static ISchedule scheduleOf(IUpdater u) {
        try {
            return (ISchedule) u.getClass().getMethod("getLearningRateSchedule").invoke(u);
        } catch (NoSuchMethodException e) {
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the learning-rate schedule of " + u, e);
        }
    }
}
