package org.rll4j.data;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

import org.bytedeco.opencv.opencv_core.Mat;
import org.rll4j.sampler.LabelIndex;

/**
 * The images of an IDX file pair (MNIST, Fashion-MNIST), held in memory as 8-bit grey pixels, as an
 * {@link ExampleSource}. Made by {@link IdxReader}.
 *
 * <p>Immutable; {@link #read(int)} copies the pixels into a new Mat, so concurrent reads are safe.
 * Class id {@code c} is the IDX label value {@code c}.
 */
public final class IdxSource implements ExampleSource {

    private final Path imagesFile;
    private final byte[] pixels;
    private final int size;
    private final int rows;
    private final int cols;
    private final LabelIndex labels;

    /**
     * Wraps decoded IDX data; {@link IdxReader} validates it first.
     *
     * @param imagesFile where the pixels come from, for {@link #describe(int)}
     * @param pixels {@code size * rows * cols} bytes, image after image, row-major; not copied
     * @param labels one label per image
     */
    IdxSource(Path imagesFile, byte[] pixels, int rows, int cols, LabelIndex labels) {
        this.imagesFile = Objects.requireNonNull(imagesFile, "imagesFile must not be null");
        this.pixels = Objects.requireNonNull(pixels, "pixels must not be null");
        this.labels = Objects.requireNonNull(labels, "labels must not be null");
        this.size = labels.size();
        this.rows = rows;
        this.cols = cols;
        if ((long) size * rows * cols != pixels.length) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "pixels must hold %d x %d x %d bytes, found %d", size, rows, cols, pixels.length));
        }
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public LabelIndex labels() {
        return labels;
    }

    /**
     * Image height.
     *
     * @return the number of pixel rows of every image
     */
    public int rows() {
        return rows;
    }

    /**
     * Image width.
     *
     * @return the number of pixel columns of every image
     */
    public int cols() {
        return cols;
    }

    /**
     * Copies image {@code index} into a new Mat.
     *
     * @param index in {@code [0, size())}
     * @return a new {@code rows x cols} Mat of type {@code CV_8UC1}; the caller closes it
     * @throws IndexOutOfBoundsException when {@code index} is out of range
     */
    @Override
    public Mat read(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(String.format(Locale.ROOT,
                    "index must be in [0, %d), found %d (%s)", size, index, imagesFile));
        }
        int n = rows * cols;
        Mat mat = new Mat(rows, cols, CV_8UC1);
        mat.data().put(pixels, index * n, n);
        return mat;
    }

    /** {@code "<images file> image <index>"}. */
    @Override
    public String describe(int index) {
        return imagesFile + " image " + index;
    }

    @Override
    public String toString() {
        return "IdxSource{" + imagesFile + ": " + size + " images " + rows + "x" + cols + ", " + labels.numClasses()
                + " classes}";
    }
}
