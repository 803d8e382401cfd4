package org.rll4j.models;

import java.util.List;
import java.util.Objects;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * SqueezeNet (v1.1 layout) feature extractor: the layers of the DL4J zoo's
 * {@code org.deeplearning4j.zoo.model.SqueezeNet} (1.0.0-M2.1) up to {@code fire9}, without the zoo's
 * classifier, under the zoo's layer names so that weights map by name
 * ({@link PretrainedWeights#copyByName copyByName}).
 *
 * <p>Paper: F. N. Iandola, S. Han, M. W. Moskewicz, K. Ashraf, W. J. Dally, K. Keutzer, "SqueezeNet:
 * AlexNet-level accuracy with 50x fewer parameters and &lt;0.5MB model size", 2016 (arXiv:1602.07360);
 * v1.1 from the authors' repository (3x3 stem with 64 filters, pooling after fire3 and fire5).
 *
 * <p>The layers are replicated in the caller's builder rather than moved from
 * {@code SqueezeNet.graphBuilder()}, for the reason given in {@link ResNet50Backbone}: the zoo's layers
 * carry the zoo's global settings (AdaDelta, RELU init, l2 5e-5). One deliberate difference: the zoo
 * sets no activation on its convolutions, so they inherit DL4J's global default, sigmoid, and every
 * convolution is followed by sigmoid and then the ReLU layer. Here the convolutions are linear
 * ({@link Activation#IDENTITY}), as in the paper and in Caffe/Keras SqueezeNet, so ReLU is the only
 * non-linearity. Names, wiring and parameter shapes are the zoo's ({@code SqueezeNetBackboneTest}).
 *
 * <p><b>Layer names</b> (the zoo's): {@code conv1} (3x3/2 convolution, 64), {@code conv1_act},
 * {@code pool1}; fire module {@code fire<i>} ({@code i} = 2..9): {@code fire<i>_sq1x1},
 * {@code fire<i>_relu_sq1x1}, {@code fire<i>_exp1x1}, {@code fire<i>_relu_exp1x1},
 * {@code fire<i>_exp3x3}, {@code fire<i>_relu_exp3x3} and the channel concatenation {@code fire<i>};
 * 3x3/2 max poolings {@code pool3} (after fire3) and {@code pool5} (after fire5). The zoo's classifier
 * vertices {@link #ZOO_CLASSIFIER_VERTICES} are not added.
 *
 * <p><b>Stages</b> ({@link #STAGES}): the last fire module before each down-sampling, and the last one:
 * low = {@code fire3} (128 channels, 1/8 of the input size), mid = {@code fire5} (256 channels, 1/16),
 * high = {@code fire9} (512 channels, 1/32). Each is a concatenation of two ReLU outputs.
 *
 * <p><b>Input size.</b> Default 227x227x3 (NCHW). Per axis, for input size {@code n}: {@code conv1}
 * gives {@code c = floor((n - 3) / 2) + 1}, and each of the three 3x3/2 max poolings maps {@code x} to
 * {@code floor((x - 3) / 2) + 1}, which needs {@code x >= 3}; the smallest valid input is therefore
 * {@value #MIN_INPUT_SIZE} pixels per axis (fire9 is then 1x1). At 64x64 the stages are 15x15, 7x7 and
 * 3x3; at 227x227, 56x56, 27x27 and 13x13.
 *
 * <p>The caller sets the graph's input types (see {@link ResNet50Backbone} for an example). Layer names
 * are fixed, so one graph can hold one SqueezeNet. Instances are immutable; build them with
 * {@link #builder()}.
 */
public final class SqueezeNetBackbone implements Backbone {

    /** The value of {@link #name()}. */
    public static final String NAME = "squeezenet";

    /** Default input height and width (the zoo's). */
    public static final int DEFAULT_INPUT_SIZE = 227;

    /** Smallest valid input height or width: {@code pool5} needs a 3x3 map. */
    public static final int MIN_INPUT_SIZE = 31;

    /** The vertex names of the low, mid and high level feature maps. */
    public static final Stages STAGES = new Stages("fire3", "fire5", "fire9");

    /** The zoo SqueezeNet vertices that this backbone does not add (its classifier). */
    public static final List<String> ZOO_CLASSIFIER_VERTICES =
            List.of("drop9", "conv10", "conv10_act", "avg_pool", "softmax", "loss");

    /** The only layer that reads the image input. */
    public static final String FIRST_LAYER = "conv1";

    private final int height;
    private final int width;
    private final int channels;

    private SqueezeNetBackbone(Builder b) {
        this.height = b.height;
        this.width = b.width;
        this.channels = b.channels;
        validate();
    }

    private void validate() {
        checkSize("height", height);
        checkSize("width", width);
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1, found " + channels);
        }
    }

    private static void checkSize(String what, int size) {
        if (size < MIN_INPUT_SIZE) {
            throw new IllegalArgumentException(what + " must be >= " + MIN_INPUT_SIZE
                    + " (the third 3x3/2 max pooling, pool5, needs a 3x3 map), found " + size);
        }
    }

    /** A builder with the zoo's defaults: 227x227x3. */
    public static Builder builder() {
        return new Builder();
    }

    /** The backbone with the zoo's defaults ({@code builder().build()}). */
    public static SqueezeNetBackbone defaults() {
        return builder().build();
    }

    /** A builder initialised with this backbone's values. */
    public Builder toBuilder() {
        return new Builder().height(height).width(width).channels(channels);
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

    /**
     * Adds the stem and fire modules 2-9 (the zoo's layer names, see the class javadoc).
     *
     * @return {@link #STAGES}
     */
    @Override
    public Stages addTo(ComputationGraphConfiguration.GraphBuilder graph, String input) {
        Objects.requireNonNull(graph, "graph");
        Objects.requireNonNull(input, "input");
        graph.addLayer("conv1", conv(3, 2, 64, ConvolutionMode.Truncate), input)
                .addLayer("conv1_act", new ActivationLayer(Activation.RELU), "conv1")
                .addLayer("pool1", maxPool(), "conv1_act");
        String x = fire(graph, 2, 16, 64, "pool1");
        x = fire(graph, 3, 16, 64, x);
        graph.addLayer("pool3", maxPool(), x);
        x = fire(graph, 4, 32, 128, "pool3");
        x = fire(graph, 5, 32, 128, x);
        graph.addLayer("pool5", maxPool(), x);
        x = fire(graph, 6, 48, 192, "pool5");
        x = fire(graph, 7, 48, 192, x);
        x = fire(graph, 8, 64, 256, x);
        fire(graph, 9, 64, 256, x);
        return STAGES;
    }

    /** A fire module as the zoo writes it; returns its name (the concatenation vertex). */
    private static String fire(ComputationGraphConfiguration.GraphBuilder graph, int id, int squeeze, int expand,
                               String input) {
        String p = "fire" + id;
        graph.addLayer(p + "_sq1x1", conv(1, 1, squeeze, ConvolutionMode.Truncate), input)
                .addLayer(p + "_relu_sq1x1", new ActivationLayer(Activation.RELU), p + "_sq1x1")
                .addLayer(p + "_exp1x1", conv(1, 1, expand, ConvolutionMode.Truncate), p + "_relu_sq1x1")
                .addLayer(p + "_relu_exp1x1", new ActivationLayer(Activation.RELU), p + "_exp1x1")
                .addLayer(p + "_exp3x3", conv(3, 1, expand, ConvolutionMode.Same), p + "_relu_sq1x1")
                .addLayer(p + "_relu_exp3x3", new ActivationLayer(Activation.RELU), p + "_exp3x3")
                .addVertex(p, new MergeVertex(), p + "_relu_exp1x1", p + "_relu_exp3x3");
        return p;
    }

    private static ConvolutionLayer conv(int kernel, int stride, int nOut, ConvolutionMode mode) {
        return new ConvolutionLayer.Builder(new int[] {kernel, kernel}, new int[] {stride, stride})
                .nOut(nOut).activation(Activation.IDENTITY).convolutionMode(mode).build();
    }

    private static SubsamplingLayer maxPool() {
        return new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX, new int[] {3, 3}, new int[] {2, 2})
                .convolutionMode(ConvolutionMode.Truncate).build();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SqueezeNetBackbone)) {
            return false;
        }
        SqueezeNetBackbone s = (SqueezeNetBackbone) o;
        return height == s.height && width == s.width && channels == s.channels;
    }

    @Override
    public int hashCode() {
        return Objects.hash(height, width, channels);
    }

    @Override
    public String toString() {
        return "SqueezeNetBackbone{height=" + height + ", width=" + width + ", channels=" + channels + "}";
    }

    /**
     * Builder for {@link SqueezeNetBackbone}; every setting is optional (defaults: 227x227x3).
     * {@link #build()} validates.
     */
    public static final class Builder {
        private int height = DEFAULT_INPUT_SIZE;
        private int width = DEFAULT_INPUT_SIZE;
        private int channels = 3;

        private Builder() {
        }

        /** Input height in pixels, at least {@value SqueezeNetBackbone#MIN_INPUT_SIZE}. */
        public Builder height(int height) {
            this.height = height;
            return this;
        }

        /** Input width in pixels, at least {@value SqueezeNetBackbone#MIN_INPUT_SIZE}. */
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

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException e.g. {@code "height must be >= 31 (...), found 30"}
         */
        public SqueezeNetBackbone build() {
            return new SqueezeNetBackbone(this);
        }
    }
}
