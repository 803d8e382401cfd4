package org.rll4j.models;

import java.util.List;
import java.util.Objects;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * ResNet-50 feature extractor: the layers of the DL4J zoo's
 * {@code org.deeplearning4j.zoo.model.ResNet50} (1.0.0-M2.1) up to the last residual block, without
 * the zoo's classifier, under the zoo's layer names so that zoo weights map by name
 * ({@link PretrainedWeights#copyByName copyByName}).
 *
 * <p>Paper: K. He, X. Zhang, S. Ren, J. Sun, "Deep Residual Learning for Image Recognition", CVPR 2016
 * (arXiv:1512.03385).
 *
 * <p><b>Why the layers are replicated rather than taken from the zoo.</b> {@code ResNet50.graphBuilder()}
 * returns its own builder, with its own input vertex {@code "input"} and its own global settings
 * (RmsProp, a truncated-normal init with standard deviation 0.5, l1 1e-7, l2 5e-5). Moving its
 * vertices into another builder would carry those settings along inside every layer, so this class
 * adds the same layer types, kernel sizes, strides, convolution modes and names to the caller's
 * builder instead; updater, weight init, regularisation and data type then come from that builder.
 * {@code ResNet50BackboneTest} checks the result against the zoo: same vertex names, layer types,
 * wiring and parameter shapes. The layers set explicitly what the zoo set globally: identity
 * activation on convolutions and {@link ConvolutionMode#Truncate} except for the 3x3 convolutions,
 * which use {@link ConvolutionMode#Same}. Batch normalisation uses DL4J's defaults (eps 1e-5, decay 0.9,
 * variance stored as log10 of the standard deviation), as the zoo does.
 *
 * <p><b>Layer names</b> (the zoo's):
 * <ul>
 *   <li>stem: {@code stem-zero} (3-pixel zero padding), {@code stem-cnn1} (7x7/2 convolution, 64),
 *       {@code stem-batch1}, {@code stem-act1}, {@code stem-maxpool1} (3x3/2 max pooling);</li>
 *   <li>block {@code <s><b>} (stage {@code s} in 2..5, block letter {@code b}): convolutions
 *       {@code res<s><b>_branch2a/2b/2c}, batch norms {@code bn<s><b>_branch2a/2b/2c}, ReLUs
 *       {@code act<s><b>_branch2a/2b}, the residual sum {@code short<s><b>_branch} and the block output
 *       ReLU {@code res<s><b>_branch}; the first block of each stage also has the projection shortcut
 *       {@code res<s>a_branch1} and {@code bn<s>a_branch1}.</li>
 * </ul>
 * Stage 2 ({@code conv2_x}) has blocks a-c, stage 3 a-d, stage 4 a-f, stage 5 a-c. The zoo's
 * classifier vertices {@code avgpool} (which, despite its name, is a 3x3 max pooling) and
 * {@code output} are not added ({@link #ZOO_CLASSIFIER_VERTICES}).
 *
 * <p><b>Stages</b> ({@link #STAGES}): low = {@code res3d_branch} (last block of conv3_x, 512 channels),
 * mid = {@code res4f_branch} (conv4_x, 1024 channels), high = {@code res5c_branch} (conv5_x, 2048
 * channels). All three are ReLU activation layers after a residual sum.
 *
 * <p><b>Stride of conv2_x.</b> The zoo gives the first block of stage 2 stride 2; the paper (and
 * Keras' ResNet50) use stride 1 there, so the zoo's maps are half as large from stage 2 on (7x7 ->
 * 4x4 at stage 5 for a 224x224 input). The default follows the zoo; {@link Builder#conv2Stride(int)
 * conv2Stride(1)} gives the paper's layout. Parameters and names are the same either way.
 *
 * <p><b>Input size.</b> Default 224x224x3 (NCHW). Spatial sizes per axis, for input size {@code n}:
 * stem convolution {@code c = floor((n - 1) / 2) + 1}, max pooling {@code p = floor((c - 3) / 2) + 1},
 * then each stage applies a 1x1 convolution with stride {@code k} ({@code floor((x - 1) / k) + 1},
 * {@code k} = conv2 stride for stage 2, else 2). The max pooling needs {@code c >= 3}, so the
 * smallest valid input is {@value #MIN_INPUT_SIZE} pixels per axis (every stage is then 1x1). At 64x64
 * with the zoo strides the stages are 4x4 (low), 2x2 (mid) and 1x1 (high).
 *
 * <p>Usage (from {@code ResNet50BackboneTest}):
 * <pre>{@code
 * ResNet50Backbone backbone = ResNet50Backbone.builder().imageSize(64).build();
 * ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
 *         .seed(42).updater(new Adam(1e-3)).weightInit(WeightInit.RELU)
 *         .graphBuilder().addInputs("image").setInputTypes(backbone.inputType());
 * Backbone.Stages stages = backbone.addTo(graph, "image");
 * graph.addLayer("pool", new GlobalPoolingLayer(PoolingType.AVG), stages.high())
 *         .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
 *                 .nOut(3).activation(Activation.SOFTMAX).build(), "pool")
 *         .setOutputs("out");
 * }</pre>
 * The caller must set the graph's input types (as above): like the zoo, the layers leave
 * {@code nIn} to DL4J's shape inference. Layer names are fixed, so one graph can hold one ResNet-50.
 *
 * <p>Instances are immutable and thread-safe; build them with {@link #builder()}.
 */
public final class ResNet50Backbone implements Backbone {

    /** The value of {@link #name()}. */
    public static final String NAME = "resnet50";

    /** Default input height and width (the zoo's). */
    public static final int DEFAULT_INPUT_SIZE = 224;

    /** Smallest valid input height or width: the stem's 3x3 max pooling needs a 3x3 map. */
    public static final int MIN_INPUT_SIZE = 5;

    /** The vertex names of the low, mid and high level feature maps. */
    public static final Stages STAGES = new Stages("res3d_branch", "res4f_branch", "res5c_branch");

    /** The zoo ResNet50 vertices that this backbone does not add (its classifier). */
    public static final List<String> ZOO_CLASSIFIER_VERTICES = List.of("avgpool", "output");

    /** The only layer that reads the image input. */
    public static final String FIRST_LAYER = "stem-zero";

    private final int height;
    private final int width;
    private final int channels;
    private final int conv2Stride;

    private ResNet50Backbone(Builder b) {
        this.height = b.height;
        this.width = b.width;
        this.channels = b.channels;
        this.conv2Stride = b.conv2Stride;
        validate();
    }

    private void validate() {
        checkSize("height", height);
        checkSize("width", width);
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1, found " + channels);
        }
        if (conv2Stride != 1 && conv2Stride != 2) {
            throw new IllegalArgumentException(
                    "conv2Stride must be 1 (paper) or 2 (DL4J zoo), found " + conv2Stride);
        }
    }

    private static void checkSize(String what, int size) {
        if (size < MIN_INPUT_SIZE) {
            throw new IllegalArgumentException(what + " must be >= " + MIN_INPUT_SIZE
                    + " (the stem's 3x3 max pooling needs a 3x3 map after the stride-2 7x7 convolution), found "
                    + size);
        }
    }

    /** A builder with the zoo's defaults: 224x224x3, conv2 stride 2. */
    public static Builder builder() {
        return new Builder();
    }

    /** The backbone with the zoo's defaults ({@code builder().build()}). */
    public static ResNet50Backbone defaults() {
        return builder().build();
    }

    /** A builder initialised with this backbone's values. */
    public Builder toBuilder() {
        return new Builder().height(height).width(width).channels(channels).conv2Stride(conv2Stride);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** {@code InputType.convolutional(height, width, channels)} (NCHW). */
    @Override
    public InputType inputType() {
        return InputType.convolutional(height, width, channels);
    }

    /** Input height in pixels. */
    public int height() {
        return height;
    }

    /** Input width in pixels. */
    public int width() {
        return width;
    }

    /** Input channels (3 for the ImageNet weights). */
    public int channels() {
        return channels;
    }

    /** Stride of the first block of conv2_x: 2 as in the DL4J zoo (default), 1 as in the paper. */
    public int conv2Stride() {
        return conv2Stride;
    }

    /**
     * Adds the stem and the four residual stages (the zoo's layer names, see the class javadoc).
     *
     * @return {@link #STAGES}
     */
    @Override
    public Stages addTo(ComputationGraphConfiguration.GraphBuilder graph, String input) {
        Objects.requireNonNull(graph, "graph");
        Objects.requireNonNull(input, "input");
        graph.addLayer("stem-zero", new ZeroPaddingLayer.Builder(3, 3).build(), input)
                .addLayer("stem-cnn1", conv(7, 2, 64, ConvolutionMode.Truncate), "stem-zero")
                .addLayer("stem-batch1", new BatchNormalization.Builder().build(), "stem-cnn1")
                .addLayer("stem-act1", relu(), "stem-batch1")
                .addLayer("stem-maxpool1", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX,
                        new int[] {3, 3}, new int[] {2, 2}).convolutionMode(ConvolutionMode.Truncate).build(),
                        "stem-act1");

        String x = stage(graph, "2", "abc", new int[] {64, 64, 256}, conv2Stride, "stem-maxpool1");
        x = stage(graph, "3", "abcd", new int[] {128, 128, 512}, 2, x);
        x = stage(graph, "4", "abcdef", new int[] {256, 256, 1024}, 2, x);
        x = stage(graph, "5", "abc", new int[] {512, 512, 2048}, 2, x);
        if (!x.equals(STAGES.high())) {
            throw new IllegalStateException("last block must be " + STAGES.high() + ", found " + x);
        }
        return STAGES;
    }

    /** One stage: a projection block then identity blocks; returns the last block's output name. */
    private static String stage(ComputationGraphConfiguration.GraphBuilder graph, String stage, String blocks,
                                int[] filters, int stride, String input) {
        String x = input;
        for (int i = 0; i < blocks.length(); i++) {
            String block = String.valueOf(blocks.charAt(i));
            x = block(graph, stage, block, filters, i == 0 ? stride : 0, x);
        }
        return x;
    }

    /**
     * A bottleneck block as the zoo writes it; {@code stride > 0} makes it a projection block (the
     * zoo's {@code convBlock}), {@code 0} an identity block (the zoo's {@code identityBlock}).
     */
    private static String block(ComputationGraphConfiguration.GraphBuilder graph, String stage, String block,
                                int[] filters, int stride, String input) {
        String conv = "res" + stage + block + "_branch";
        String bn = "bn" + stage + block + "_branch";
        String act = "act" + stage + block + "_branch";
        String sum = "short" + stage + block + "_branch";
        boolean projection = stride > 0;

        graph.addLayer(conv + "2a", conv(1, projection ? stride : 1, filters[0], ConvolutionMode.Truncate), input)
                .addLayer(bn + "2a", new BatchNormalization.Builder().build(), conv + "2a")
                .addLayer(act + "2a", relu(), bn + "2a")
                .addLayer(conv + "2b", conv(3, 1, filters[1], ConvolutionMode.Same), act + "2a")
                .addLayer(bn + "2b", new BatchNormalization.Builder().build(), conv + "2b")
                .addLayer(act + "2b", relu(), bn + "2b")
                .addLayer(conv + "2c", conv(1, 1, filters[2], ConvolutionMode.Truncate), act + "2b")
                .addLayer(bn + "2c", new BatchNormalization.Builder().build(), conv + "2c");
        String shortcut = input;
        if (projection) {
            graph.addLayer(conv + "1", conv(1, stride, filters[2], ConvolutionMode.Truncate), input)
                    .addLayer(bn + "1", new BatchNormalization.Builder().build(), conv + "1");
            shortcut = bn + "1";
        }
        graph.addVertex(sum, new ElementWiseVertex(ElementWiseVertex.Op.Add), bn + "2c", shortcut)
                .addLayer(conv, relu(), sum);
        return conv;
    }

    private static ConvolutionLayer conv(int kernel, int stride, int nOut, ConvolutionMode mode) {
        return new ConvolutionLayer.Builder(new int[] {kernel, kernel}, new int[] {stride, stride})
                .nOut(nOut).activation(Activation.IDENTITY).convolutionMode(mode).build();
    }

    private static ActivationLayer relu() {
        return new ActivationLayer.Builder().activation(Activation.RELU).build();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ResNet50Backbone)) {
            return false;
        }
        ResNet50Backbone r = (ResNet50Backbone) o;
        return height == r.height && width == r.width && channels == r.channels && conv2Stride == r.conv2Stride;
    }

    @Override
    public int hashCode() {
        return Objects.hash(height, width, channels, conv2Stride);
    }

    @Override
    public String toString() {
        return "ResNet50Backbone{height=" + height + ", width=" + width + ", channels=" + channels
                + ", conv2Stride=" + conv2Stride + "}";
    }

    /**
     * Builder for {@link ResNet50Backbone}; every setting is optional (defaults: 224x224x3, conv2 stride
     * 2). {@link #build()} validates.
     */
    public static final class Builder {
        private int height = DEFAULT_INPUT_SIZE;
        private int width = DEFAULT_INPUT_SIZE;
        private int channels = 3;
        private int conv2Stride = 2;

        private Builder() {
        }

        /** Input height in pixels, at least {@value ResNet50Backbone#MIN_INPUT_SIZE}. */
        public Builder height(int height) {
            this.height = height;
            return this;
        }

        /** Input width in pixels, at least {@value ResNet50Backbone#MIN_INPUT_SIZE}. */
        public Builder width(int width) {
            this.width = width;
            return this;
        }

        /** Sets height and width to {@code size}. */
        public Builder imageSize(int size) {
            return height(size).width(size);
        }

        /** Input channels, at least 1 (the ImageNet weights need 3). */
        public Builder channels(int channels) {
            this.channels = channels;
            return this;
        }

        /** Stride of the first block of conv2_x: 2 (DL4J zoo, default) or 1 (paper, Keras). */
        public Builder conv2Stride(int conv2Stride) {
            this.conv2Stride = conv2Stride;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException e.g. {@code "height must be >= 5 (...), found 4"}
         */
        public ResNet50Backbone build() {
            return new ResNet50Backbone(this);
        }
    }
}
