package org.rll4j.data;

/**
 * How 8-bit pixels become network inputs, including the channel order of 3-channel images.
 * For 1-channel (grey) pipelines the per-channel constants are averaged.
 */
public enum Normalization {
    /** {@code x / 255}, RGB order. */
    UNIT(false, new double[] {0, 0, 0}, new double[] {255, 255, 255}),
    /** ImageNet statistics (torchvision): {@code (x/255 - mean) / std}, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225), RGB order. */
    IMAGENET(false, new double[] {0.485 * 255, 0.456 * 255, 0.406 * 255}, new double[] {0.229 * 255, 0.224 * 255, 0.225 * 255}),
    /** Caffe BN-Inception (the paper's code): {@code x - mean}, BGR order, mean (104, 117, 123) on the 0..255 scale. */
    CAFFE_BGR(true, new double[] {104, 117, 123}, new double[] {1, 1, 1}),
    /** Raw pixel values 0..255, RGB order. */
    NONE(false, new double[] {0, 0, 0}, new double[] {1, 1, 1});

    private final boolean bgr;
    private final double[] mean;
    private final double[] scale;

    Normalization(boolean bgr, double[] mean, double[] scale) {
        this.bgr = bgr;
        this.mean = mean;
        this.scale = scale;
    }

    /** Whether 3-channel output is in BGR order (else RGB). */
    public boolean bgr() {
        return bgr;
    }

    /** Mean subtracted from channel {@code c} (output order) of a {@code channels}-channel image, 0..255 scale. */
    public double mean(int c, int channels) {
        return channels == 1 ? (mean[0] + mean[1] + mean[2]) / 3 : mean[c];
    }

    /** Divisor of channel {@code c} (output order) after the mean is subtracted, 0..255 scale. */
    public double scale(int c, int channels) {
        return channels == 1 ? (scale[0] + scale[1] + scale[2]) / 3 : scale[c];
    }
}
