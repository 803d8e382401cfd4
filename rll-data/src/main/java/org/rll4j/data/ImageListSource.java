package org.rll4j.data;

import java.io.IOException;
import java.util.Objects;

import org.bytedeco.opencv.opencv_core.Mat;
import org.rll4j.sampler.LabelIndex;

/** An {@link ExampleSource} over image files: decodes {@link ImageList} entries with an {@link ImageDecoder}. */
public final class ImageListSource implements ExampleSource {

    private final ImageList images;
    private final ImageDecoder decoder;

    /**
     * @param images the files and their classes
     * @param decoder how to decode them (alpha background)
     */
    public ImageListSource(ImageList images, ImageDecoder decoder) {
        this.images = Objects.requireNonNull(images, "images must not be null");
        this.decoder = Objects.requireNonNull(decoder, "decoder must not be null");
    }

    /** Files decoded onto a white background. */
    public static ImageListSource of(ImageList images) {
        return new ImageListSource(images, ImageDecoder.onWhite());
    }

    /** The underlying list. */
    public ImageList images() {
        return images;
    }

    @Override
    public int size() {
        return images.size();
    }

    @Override
    public LabelIndex labels() {
        return images.labels();
    }

    @Override
    public Mat read(int index) throws IOException {
        return decoder.decode(images.get(index).path());
    }

    @Override
    public String describe(int index) {
        return images.get(index).path().toString();
    }
}
