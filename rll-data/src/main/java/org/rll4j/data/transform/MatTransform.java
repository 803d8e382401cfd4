package org.rll4j.data.transform;

import java.util.Random;

import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.datavec.image.data.ImageWritable;
import org.datavec.image.transform.BaseImageTransform;

/**
 * Base of this package's DataVec {@code ImageTransform}s: they work on OpenCV {@code Mat}s. Like
 * DataVec's own transforms an instance keeps per-call state ({@code currentImage}), so use one
 * instance per thread; {@link org.rll4j.data.ImagePipeline} creates them per worker.
 */
abstract class MatTransform extends BaseImageTransform<Mat> {

    MatTransform() {
        this.converter = new OpenCVFrameConverter.ToMat();
    }

    @Override
    protected final ImageWritable doTransform(ImageWritable image, Random random) {
        if (image == null) {
            return null;
        }
        Mat in = converter.convert(image.getFrame());
        return new ImageWritable(converter.convert(apply(in, random == null ? new Random() : random)));
    }

    /**
     * @param in the image (not modified)
     * @param random source of randomness for random transforms
     * @return the transformed image (may be {@code in} itself when nothing changes)
     */
    abstract Mat apply(Mat in, Random random);
}
