package org.rll4j.models;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.IUpdater;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.loss.RankedListLossLayer;

/**
 * An embedding head ending in the Ranked List Loss, in one of the two forms of the paper
 * (Wang et al., CVPR 2019 / TPAMI 2021, section 4 of our design doc):
 * <ul>
 *   <li>{@link Kind#GLOBAL} (RLL-H and the H head of RLL-(L,M,H)): global average pooling ->
 *       optional batch norm -> dropout -> dense to D (identity) -> {@link RankedListLossLayer};</li>
 *   <li>{@link Kind#POOLED_CONV} (the L and M heads): average pooling 5x5 stride 3 -> 1x1 conv 128 +
 *       BN + ReLU -> dense 1024 + BN + ReLU -> dense to D -> {@link RankedListLossLayer}. A feature map
 *       smaller than the pooling window is pooled globally instead.</li>
 * </ul>
 * Layer names are {@code <prefix>pool}, {@code <prefix>bn}, {@code <prefix>conv}, {@code <prefix>conv_bn},
 * {@code <prefix>conv_relu}, {@code <prefix>fc}, {@code <prefix>fc_bn}, {@code <prefix>fc_relu},
 * {@code <prefix>embedding} (the raw embedding) and
 * {@code <prefix>rll} (the loss; its output is the L2-normalised embedding). The embedding layer is
 * initialised with Xavier (Glorot) normal weights, which keeps the raw embedding's scale independent
 * of D; the loss normalises it anyway. The loss layer is a {@link RankedListLossLayer} by default
 * ({@link Builder#loss}), or any loss layer of ours from {@link Builder#lossLayer}: the SameDiff form
 * ({@link org.rll4j.loss.SameDiffRankedListLossLayer}) or a baseline ({@link org.rll4j.loss.MetricLossLayer}).
 */
public final class EmbeddingHead {

    /** The head's shape. */
    public enum Kind {
        /** Global average pooling -> [BN] -> dense D. */
        GLOBAL,
        /** The paper's L/M head: avg-pool 5x5/3 -> conv 1x1 128 -> dense 1024 -> dense D. */
        POOLED_CONV
    }

    private final Kind kind;
    private final int embeddingDim;
    private final boolean batchNorm;
    private final double dropout;
    private final Supplier<? extends Layer> lossLayer;

    private EmbeddingHead(Builder b) {
        this.kind = Objects.requireNonNull(b.kind, "kind must not be null");
        this.embeddingDim = b.embeddingDim;
        this.batchNorm = b.batchNorm;
        this.dropout = b.dropout;
        this.lossLayer = Objects.requireNonNull(b.lossLayer, "lossLayer must not be null");
        if (embeddingDim < 1) {
            throw new IllegalArgumentException("embeddingDim must be >= 1, found " + embeddingDim);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), found " + dropout);
        }
    }

    /** A builder: GLOBAL kind, D = 512, batch norm on, no dropout, paper loss. */
    public static Builder builder() {
        return new Builder();
    }

    /** The GLOBAL head with D and the loss. */
    public static EmbeddingHead global(int embeddingDim, RankedListLossConfig loss) {
        return builder().embeddingDim(embeddingDim).loss(loss).build();
    }

    /** This head with another kind (the multi-level model uses POOLED_CONV for L and M). */
    public EmbeddingHead withKind(Kind other) {
        return builder().kind(other).embeddingDim(embeddingDim).batchNorm(batchNorm).dropout(dropout).lossLayer(lossLayer).build();
    }

    /** The head's shape. */
    public Kind kind() {
        return kind;
    }

    /** Embedding width D. */
    public int embeddingDim() {
        return embeddingDim;
    }

    /**
     * Adds the head.
     *
     * @param graph the graph under construction
     * @param featureMap vertex name of the CNN feature map to read
     * @param featureType its activation type (for the pooling window check)
     * @param prefix layer name prefix, e.g. {@code ""} or {@code "low_"}
     * @param updater updater for the head's layers, or null for the graph's
     * @return the vertex names: raw embedding and loss output
     */
    public Names attach(ComputationGraphConfiguration.GraphBuilder graph, String featureMap, InputType featureType,
                        String prefix, IUpdater updater) {
        if (featureType.getType() != InputType.Type.CNN) {
            throw new IllegalArgumentException("an embedding head reads a CNN feature map, '" + featureMap + "' is " + featureType);
        }
        InputType.InputTypeConvolutional cnn = (InputType.InputTypeConvolutional) featureType;
        boolean window = kind == Kind.POOLED_CONV && cnn.getHeight() >= 5 && cnn.getWidth() >= 5;
        String last = prefix + "pool";
        if (window) {
            graph.addLayer(last, new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(5, 5).stride(3, 3).build(), featureMap);
            graph.addLayer(prefix + "conv", withUpdater(new ConvolutionLayer.Builder(1, 1).nOut(128).hasBias(false)
                    .activation(Activation.IDENTITY), updater).build(), last);
            graph.addLayer(prefix + "conv_bn", withUpdater(new BatchNormalization.Builder(), updater).build(), prefix + "conv");
            last = relu(graph, prefix + "conv_relu", prefix + "conv_bn");
        } else {
            graph.addLayer(last, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), featureMap);
            if (kind == Kind.GLOBAL && batchNorm) {
                graph.addLayer(prefix + "bn", withUpdater(new BatchNormalization.Builder(), updater).build(), last);
                last = prefix + "bn";
            }
        }
        if (kind == Kind.POOLED_CONV) {
            graph.addLayer(prefix + "fc", withUpdater(new DenseLayer.Builder().nOut(1024).hasBias(false)
                    .activation(Activation.IDENTITY), updater).build(), last);
            graph.addLayer(prefix + "fc_bn", withUpdater(new BatchNormalization.Builder(), updater).build(), prefix + "fc");
            last = relu(graph, prefix + "fc_relu", prefix + "fc_bn");
        }
        DenseLayer.Builder embedding = new DenseLayer.Builder().nOut(embeddingDim).activation(Activation.IDENTITY)
                .weightInit(WeightInit.XAVIER);
        if (dropout > 0) {
            embedding.dropOut(1 - dropout); // DL4J takes the retain probability
        }
        graph.addLayer(prefix + "embedding", withUpdater(embedding, updater).build(), last);
        graph.addLayer(prefix + "rll", lossLayer.get(), prefix + "embedding");
        return new Names(prefix + "embedding", prefix + "rll");
    }

    /** A separate ReLU layer: DL4J 1.0.0-M2.1's batch norm ignores its {@code activation} setting. */
    private static String relu(ComputationGraphConfiguration.GraphBuilder graph, String name, String input) {
        graph.addLayer(name, new ActivationLayer.Builder().activation(Activation.RELU).build(), input);
        return name;
    }

    private static <T extends org.deeplearning4j.nn.conf.layers.BaseLayer.Builder<T>> T withUpdater(T b, IUpdater updater) {
        if (updater != null) {
            b.updater(updater);
        }
        return b;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "EmbeddingHead{%s, D=%d, bn=%s, dropout=%s, %s}", kind, embeddingDim, batchNorm,
                dropout, lossDescription());
    }

    /** The loss layer's class and, for a DL4J loss layer, its loss function with the hyper-parameters. */
    private String lossDescription() {
        Layer layer = lossLayer.get();
        return layer.getClass().getSimpleName() + (layer instanceof LossLayer l ? " " + l.getLossFn() : "");
    }

    /**
     * @param embedding vertex holding the raw (un-normalised) embedding
     * @param output the loss layer, whose activations are the L2-normalised embedding
     */
    public record Names(String embedding, String output) {
    }

    /** Validating builder. */
    public static final class Builder {
        private Kind kind = Kind.GLOBAL;
        private int embeddingDim = 512;
        private boolean batchNorm = true;
        private double dropout;
        private Supplier<? extends Layer> lossLayer = () -> RankedListLossLayer.of(RankedListLossConfig.paper());

        private Builder() {
        }

        /** Head shape; default GLOBAL. */
        public Builder kind(Kind kind) {
            this.kind = kind;
            return this;
        }

        /** D, default 512 (the paper's per-head size; In-Shop used 128). */
        public Builder embeddingDim(int d) {
            this.embeddingDim = d;
            return this;
        }

        /** Batch norm after global pooling (GLOBAL kind); default true. */
        public Builder batchNorm(boolean batchNorm) {
            this.batchNorm = batchNorm;
            return this;
        }

        /** Dropout probability before the embedding layer, in [0, 1); default 0. */
        public Builder dropout(double p) {
            this.dropout = p;
            return this;
        }

        /** A {@link RankedListLossLayer} with these settings; default {@link RankedListLossConfig#paper()}. */
        public Builder loss(RankedListLossConfig loss) {
            Objects.requireNonNull(loss, "loss must not be null");
            return lossLayer(() -> RankedListLossLayer.of(loss));
        }

        /**
         * Makes the loss layer of each head (a new one per call: the multi-level model has three), instead of
         * {@link #loss}: e.g. {@code () -> SameDiffRankedListLossLayer.of(config)} or
         * {@code () -> MetricLossLayer.of(baseline)}. The layer is named {@code <prefix>rll} whatever it computes.
         */
        public Builder lossLayer(Supplier<? extends Layer> lossLayer) {
            this.lossLayer = lossLayer;
            return this;
        }

        /** Validates and builds. */
        public EmbeddingHead build() {
            return new EmbeddingHead(this);
        }
    }
}
