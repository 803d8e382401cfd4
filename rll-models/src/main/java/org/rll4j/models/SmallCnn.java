package org.rll4j.models;

import java.util.Arrays;
import java.util.Locale;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * A small VGG-style CNN for 28x28 to 64x64 inputs that trains in minutes on a 2-core CPU (the main
 * job's default network). Stage {@code s} (1-based) is: {@code conv_s} 3x3 (same padding, no bias)
 * -> {@code bn_s} batch norm -> {@code relu_s} -> {@code pool_s} 2x2 max pooling, with
 * {@code widths[s-1]} channels. Stages: low = {@code pool_1}, mid = {@code pool_<n-1>}, high =
 * {@code relu_<n>} (the last stage is not pooled, the embedding head pools globally). The ReLU is
 * its own layer because DL4J 1.0.0-M2.1's batch norm ignores an {@code activation} setting.
 */
public final class SmallCnn implements Backbone {

    private final int height;
    private final int width;
    private final int channels;
    private final int[] widths;

    /**
     * @param height input height, {@code >= 2^(stages-1)}
     * @param width input width
     * @param channels input channels (1 or 3)
     * @param widths channels of each stage, at least 2 stages, each {@code >= 1}
     */
    public SmallCnn(int height, int width, int channels, int... widths) {
        if (widths.length < 2) {
            throw new IllegalArgumentException("widths must list at least 2 stages, found " + Arrays.toString(widths));
        }
        for (int w : widths) {
            if (w < 1) {
                throw new IllegalArgumentException("every stage width must be >= 1, found " + Arrays.toString(widths));
            }
        }
        int min = 1 << (widths.length - 1);
        if (height < min || width < min) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "input must be at least %dx%d for %d stages (each but the last halves it), found %dx%d",
                    min, min, widths.length, height, width));
        }
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1, found " + channels);
        }
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.widths = widths.clone();
    }

    /** The main job's default: 32x32 RGB, stages of 32, 64 and 128 channels. */
    public static SmallCnn forEmoji32() {
        return new SmallCnn(32, 32, 3, 32, 64, 128);
    }

    @Override
    public String name() {
        return "small-cnn" + Arrays.toString(widths).replace(" ", "");
    }

    @Override
    public InputType inputType() {
        return InputType.convolutional(height, width, channels);
    }

    @Override
    public Stages addTo(ComputationGraphConfiguration.GraphBuilder graph, String input) {
        String previous = input;
        int n = widths.length;
        for (int s = 1; s <= n; s++) {
            graph.addLayer("conv_" + s, new ConvolutionLayer.Builder(3, 3).nOut(widths[s - 1])
                    .convolutionMode(ConvolutionMode.Same).hasBias(false).activation(Activation.IDENTITY).build(), previous);
            graph.addLayer("bn_" + s, new BatchNormalization.Builder().build(), "conv_" + s);
            graph.addLayer("relu_" + s, new ActivationLayer.Builder().activation(Activation.RELU).build(), "bn_" + s);
            previous = "relu_" + s;
            if (s < n) {
                graph.addLayer("pool_" + s, new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(),
                        previous);
                previous = "pool_" + s;
            }
        }
        return new Stages("pool_1", "pool_" + (n - 1), "relu_" + n);
    }

    @Override
    public String toString() {
        return name() + " " + height + "x" + width + "x" + channels;
    }
}
