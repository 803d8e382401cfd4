package org.rll4j.data.transform;

import static org.bytedeco.opencv.global.opencv_core.flip;

import java.util.Random;

import org.bytedeco.opencv.opencv_core.Mat;

/** Mirrors the image left-right with probability {@code p} (0.5 in the paper's training pipeline). */
public final class HorizontalFlipTransform extends MatTransform {

    private final double probability;

    /**
     * @param probability chance of flipping, in [0, 1]
     */
    public HorizontalFlipTransform(double probability) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("flip probability must be in [0, 1], found " + probability);
        }
        this.probability = probability;
    }

    @Override
    Mat apply(Mat in, Random random) {
        if (random.nextDouble() >= probability) {
            return in;
        }
        Mat out = new Mat();
        flip(in, out, 1);
        return out;
    }
}
