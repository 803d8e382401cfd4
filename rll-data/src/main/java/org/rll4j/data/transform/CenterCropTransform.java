package org.rll4j.data.transform;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.util.Random;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Centre crop to {@code width x height} (the test-time "resize 256, centre crop 227" of the paper).
 * An image smaller than the crop in a dimension is first enlarged (bilinear, keeping its aspect
 * ratio) until the crop fits.
 */
public final class CenterCropTransform extends MatTransform {

    private final int width;
    private final int height;

    /**
     * @param width crop width, {@code >= 1}
     * @param height crop height, {@code >= 1}
     */
    public CenterCropTransform(int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("crop size must be >= 1, found " + width + " x " + height);
        }
        this.width = width;
        this.height = height;
    }

    @Override
    Mat apply(Mat in, Random random) {
        Mat src = in;
        if (in.cols() < width || in.rows() < height) {
            double f = Math.max((double) width / in.cols(), (double) height / in.rows());
            src = new Mat();
            try (Size size = new Size(Math.max(width, (int) Math.ceil(in.cols() * f)),
                    Math.max(height, (int) Math.ceil(in.rows() * f)))) {
                resize(in, src, size, 0, 0, INTER_LINEAR);
            }
        }
        if (src.cols() == width && src.rows() == height) {
            return src;
        }
        try (Rect roi = new Rect((src.cols() - width) / 2, (src.rows() - height) / 2, width, height);
             Mat region = new Mat(src, roi)) {
            return region.clone();
        }
    }
}
