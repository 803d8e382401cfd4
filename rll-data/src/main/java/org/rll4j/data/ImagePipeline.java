package org.rll4j.data;

import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.datavec.image.data.ImageWritable;
import org.datavec.image.transform.ImageTransform;
import org.datavec.image.transform.ResizeImageTransform;
import org.rll4j.data.transform.CenterCropTransform;
import org.rll4j.data.transform.HorizontalFlipTransform;
import org.rll4j.data.transform.RandomResizedCropTransform;

/**
 * An immutable description of how a decoded image becomes a network input: channel conversion,
 * a chain of DataVec {@link ImageTransform}s, and a {@link Normalization} into a {@code C x H x W}
 * float array. The last sizing step fixes the output size.
 *
 * <p>Presets: {@link #train(int)} (random resized crop, scale [0.5, 1], ratio [3/4, 4/3], then a
 * horizontal flip with probability 0.5) and {@link #test(int, int)} (resize to a square, centre crop),
 * the paper's pipelines at 227, with Caffe's BGR mean subtraction or ImageNet statistics.
 *
 * <p>Transforms keep per-call state, so each worker thread uses its own {@link Runner}.
 */
public final class ImagePipeline {

    /** One step; creates a fresh transform instance per runner. */
    private record Step(String description, int outWidth, int outHeight, java.util.function.Supplier<ImageTransform> factory) {
    }

    private final List<Step> steps;
    private final int channels;
    private final int width;
    private final int height;
    private final Normalization normalization;

    private ImagePipeline(Builder b) {
        this.steps = List.copyOf(b.steps);
        this.channels = b.channels;
        this.normalization = Objects.requireNonNull(b.normalization, "normalization must not be null");
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, found " + channels);
        }
        int w = -1;
        int h = -1;
        for (Step s : steps) {
            if (s.outWidth() > 0) {
                w = s.outWidth();
                h = s.outHeight();
            }
        }
        if (w < 0) {
            throw new IllegalArgumentException("a pipeline needs a sizing step (resize, crop) to fix the output size, found "
                    + describeSteps());
        }
        this.width = w;
        this.height = h;
    }

    /** A builder; add steps in order. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The paper's training augmentation: random resized crop to {@code size} (scale [0.5, 1],
     * aspect ratio [3/4, 4/3]) and a horizontal flip with probability 0.5; 3 channels, ImageNet
     * normalisation.
     */
    public static ImagePipeline train(int size) {
        return train(size, Normalization.IMAGENET);
    }

    /** {@link #train(int)} with another normalisation, e.g. {@link Normalization#CAFFE_BGR} as in the paper's code. */
    public static ImagePipeline train(int size, Normalization normalization) {
        return builder().randomResizedCrop(size, size, 0.5, 1, 3.0 / 4, 4.0 / 3).horizontalFlip(0.5)
                .normalization(normalization).build();
    }

    /** The paper's test pipeline: resize to {@code resize x resize}, centre crop {@code crop}; 3 channels, ImageNet normalisation. */
    public static ImagePipeline test(int resize, int crop) {
        return test(resize, crop, Normalization.IMAGENET);
    }

    /** {@link #test(int, int)} with another normalisation. */
    public static ImagePipeline test(int resize, int crop, Normalization normalization) {
        return builder().resize(resize, resize).centerCrop(crop, crop).normalization(normalization).build();
    }

    /** Output channels (1 or 3). */
    public int channels() {
        return channels;
    }

    /** Output height. */
    public int height() {
        return height;
    }

    /** Output width. */
    public int width() {
        return width;
    }

    /** Values per image: {@code channels x height x width}. */
    public int valuesPerImage() {
        return channels * height * width;
    }

    /** The normalisation. */
    public Normalization normalization() {
        return normalization;
    }

    /** A new runner with its own transform instances (one per thread). */
    public Runner newRunner() {
        List<ImageTransform> transforms = new ArrayList<>();
        for (Step s : steps) {
            transforms.add(s.factory().get());
        }
        return new Runner(transforms);
    }

    private String describeSteps() {
        List<String> d = new ArrayList<>();
        for (Step s : steps) {
            d.add(s.description());
        }
        return d.toString();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ImagePipeline{%s -> %dx%dx%d, %s}", describeSteps(), channels, height, width,
                normalization);
    }

    /** Applies the pipeline; not thread-safe, create one per thread with {@link #newRunner()}. */
    public final class Runner {
        private final List<ImageTransform> transforms;
        private final OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
        private byte[] pixels;

        private Runner(List<ImageTransform> transforms) {
            this.transforms = transforms;
        }

        /**
         * Transforms {@code decoded} and writes the normalised {@code C x H x W} values to
         * {@code out[offset ...]}.
         *
         * @param decoded 8-bit, 1 or 3 (BGR) channels; not modified or closed
         * @param random randomness of the random steps
         * @param out destination
         * @param offset first index written
         */
        public void apply(Mat decoded, Random random, float[] out, int offset) {
            apply(decoded, random, FloatBuffer.wrap(out), offset);
        }

        /**
         * As {@link #apply(Mat, Random, float[], int)}, writing into a buffer (for example the NIO view
         * of an ND4J array, which avoids an intermediate copy).
         */
        public void apply(Mat decoded, Random random, FloatBuffer out, int offset) {
            // Every intermediate Mat the steps allocate is freed when the scope closes, instead of
            // waiting for the garbage collector (native memory the JVM does not see).
            try (PointerScope ignored = new PointerScope()) {
                Mat current = withChannels(decoded);
                ImageWritable w = new ImageWritable(converter.convert(current));
                for (ImageTransform t : transforms) {
                    w = t.transform(w, random);
                }
                Mat result = converter.convert(w.getFrame());
                if (result.cols() != width || result.rows() != height || result.channels() != channels) {
                    throw new IllegalStateException(String.format(Locale.ROOT,
                            "pipeline produced %dx%dx%d, expected %dx%dx%d", result.channels(), result.rows(),
                            result.cols(), channels, height, width));
                }
                write(result.isContinuous() ? result : result.clone(), out, offset);
            }
        }

        private Mat withChannels(Mat m) {
            if (m.channels() == channels) {
                return m;
            }
            Mat converted = new Mat();
            cvtColor(m, converted, channels == 3 ? COLOR_GRAY2BGR : COLOR_BGR2GRAY);
            return converted;
        }

        private void write(Mat m, FloatBuffer out, int offset) {
            int plane = width * height;
            float[] mean = new float[channels];
            float[] inv = new float[channels];
            for (int c = 0; c < channels; c++) {
                mean[c] = (float) normalization.mean(c, channels);
                inv[c] = (float) (1 / normalization.scale(c, channels));
            }
            boolean swap = channels == 3 && !normalization.bgr(); // Mat is BGR; output RGB unless BGR
            if (pixels == null || pixels.length != plane * channels) {
                pixels = new byte[plane * channels];
            }
            m.data().get(pixels); // interleaved HWC, continuous
            for (int c = 0; c < channels; c++) {
                int oc = swap ? channels - 1 - c : c;
                float mu = mean[oc];
                float s = inv[oc];
                int base = offset + oc * plane;
                for (int p = 0, i = c; p < plane; p++, i += channels) {
                    out.put(base + p, ((pixels[i] & 0xff) - mu) * s);
                }
            }
        }
    }

    /** Builder: steps in order, then channels and normalisation. */
    public static final class Builder {
        private final List<Step> steps = new ArrayList<>();
        private int channels = 3;
        private Normalization normalization = Normalization.IMAGENET;

        private Builder() {
        }

        /** Resize to exactly {@code width x height} (bilinear; DataVec's ResizeImageTransform). */
        public Builder resize(int width, int height) {
            requireSize(width, height);
            steps.add(new Step("resize " + width + "x" + height, width, height, () -> new ResizeImageTransform(width, height)));
            return this;
        }

        /** Random resized crop; see {@link RandomResizedCropTransform}. */
        public Builder randomResizedCrop(int width, int height, double scaleMin, double scaleMax, double ratioMin, double ratioMax) {
            new RandomResizedCropTransform(width, height, scaleMin, scaleMax, ratioMin, ratioMax); // validates now
            steps.add(new Step(String.format(Locale.ROOT, "random resized crop %dx%d scale [%s, %s] ratio [%.3f, %.3f]",
                    width, height, scaleMin, scaleMax, ratioMin, ratioMax), width, height,
                    () -> new RandomResizedCropTransform(width, height, scaleMin, scaleMax, ratioMin, ratioMax)));
            return this;
        }

        /** Centre crop; see {@link CenterCropTransform}. */
        public Builder centerCrop(int width, int height) {
            requireSize(width, height);
            steps.add(new Step("centre crop " + width + "x" + height, width, height, () -> new CenterCropTransform(width, height)));
            return this;
        }

        /** Horizontal flip with probability {@code p}. */
        public Builder horizontalFlip(double p) {
            new HorizontalFlipTransform(p); // validates now
            steps.add(new Step("horizontal flip p=" + p, -1, -1, () -> new HorizontalFlipTransform(p)));
            return this;
        }

        /** Output channels: 1 (grey) or 3 (colour). Default 3. */
        public Builder channels(int channels) {
            this.channels = channels;
            return this;
        }

        /** Normalisation. Default {@link Normalization#IMAGENET}. */
        public Builder normalization(Normalization normalization) {
            this.normalization = normalization;
            return this;
        }

        /** Validates and builds. */
        public ImagePipeline build() {
            return new ImagePipeline(this);
        }

        private static void requireSize(int width, int height) {
            if (width < 1 || height < 1) {
                throw new IllegalArgumentException("size must be >= 1, found " + width + " x " + height);
            }
        }
    }
}
