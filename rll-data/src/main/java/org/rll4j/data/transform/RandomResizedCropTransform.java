package org.rll4j.data.transform;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.util.Locale;
import java.util.Random;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Random resized crop (the Inception / torchvision augmentation the paper trains with): a region
 * covering a random fraction {@code s ~ U[scaleMin, scaleMax]} of the image area with aspect ratio
 * {@code r}, {@code log r ~ U[log ratioMin, log ratioMax]}, at a uniformly random position, resized
 * (bilinear) to {@code width x height}. Up to 10 draws are tried; if no region fits, the largest
 * centred region with the nearest allowed aspect ratio is used.
 * Paper setting: 227 x 227, scale [0.5, 1] (our design doc), ratio [3/4, 4/3].
 */
public final class RandomResizedCropTransform extends MatTransform {

    private final int width;
    private final int height;
    private final double scaleMin;
    private final double scaleMax;
    private final double ratioMin;
    private final double ratioMax;

    /**
     * @param width output width
     * @param height output height
     * @param scaleMin smallest area fraction, in (0, scaleMax]
     * @param scaleMax largest area fraction, in [scaleMin, 1]
     * @param ratioMin smallest aspect ratio width/height, in (0, ratioMax]
     * @param ratioMax largest aspect ratio
     */
    public RandomResizedCropTransform(int width, int height, double scaleMin, double scaleMax, double ratioMin,
                                      double ratioMax) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("crop size must be >= 1, found " + width + " x " + height);
        }
        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "scale range must satisfy 0 < scaleMin <= scaleMax <= 1, found [%s, %s]", scaleMin, scaleMax));
        }
        if (!(ratioMin > 0 && ratioMin <= ratioMax)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "aspect ratio range must satisfy 0 < ratioMin <= ratioMax, found [%s, %s]", ratioMin, ratioMax));
        }
        this.width = width;
        this.height = height;
        this.scaleMin = scaleMin;
        this.scaleMax = scaleMax;
        this.ratioMin = ratioMin;
        this.ratioMax = ratioMax;
    }

    @Override
    Mat apply(Mat in, Random random) {
        int h = in.rows();
        int w = in.cols();
        double area = (double) h * w;
        int cw = -1;
        int ch = -1;
        for (int attempt = 0; attempt < 10 && cw < 0; attempt++) {
            double target = area * (scaleMin + (scaleMax - scaleMin) * random.nextDouble());
            double logR = Math.log(ratioMin) + (Math.log(ratioMax) - Math.log(ratioMin)) * random.nextDouble();
            double r = Math.exp(logR);
            int tw = (int) Math.round(Math.sqrt(target * r));
            int th = (int) Math.round(Math.sqrt(target / r));
            if (tw >= 1 && th >= 1 && tw <= w && th <= h) {
                cw = tw;
                ch = th;
            }
        }
        int x;
        int y;
        if (cw < 0) { // fallback: centred, aspect ratio clamped to the allowed range
            double r = (double) w / h;
            if (r < ratioMin) {
                cw = w;
                ch = Math.min(h, (int) Math.round(w / ratioMin));
            } else if (r > ratioMax) {
                ch = h;
                cw = Math.min(w, (int) Math.round(h * ratioMax));
            } else {
                cw = w;
                ch = h;
            }
            x = (w - cw) / 2;
            y = (h - ch) / 2;
        } else {
            x = random.nextInt(w - cw + 1);
            y = random.nextInt(h - ch + 1);
        }
        Mat out = new Mat();
        try (Rect roi = new Rect(x, y, cw, ch); Mat region = new Mat(in, roi); Size size = new Size(width, height)) {
            resize(region, out, size, 0, 0, INTER_LINEAR);
        }
        return out;
    }
}
