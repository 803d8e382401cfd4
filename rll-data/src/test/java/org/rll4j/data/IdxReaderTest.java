package org.rll4j.data;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX files written by the helpers below, plain and gzip-compressed. */
class IdxReaderTest {

    /** 3 images of 2 x 3 pixels; the values cover 0 and 255 to check unsigned handling. */
    private static final int[][] PIXELS = {{0, 1, 2, 3, 4, 5}, {255, 254, 128, 127, 10, 20}, {9, 8, 7, 6, 5, 4}};
    private static final int[] LABELS = {1, 0, 9};

    @TempDir
    Path dir;
    private byte[] images;
    private byte[] labels;

    @BeforeEach
    void encode() {
        images = idxImages(IdxReader.IMAGES_MAGIC, 3, 2, 3, PIXELS);
        labels = idxLabels(IdxReader.LABELS_MAGIC, 3, LABELS);
    }

    /** IDX image bytes: magic, count, rows, cols (big-endian int32), then the pixels. */
    static byte[] idxImages(int magic, int count, int rows, int cols, int[][] pixels) {
        ByteBuffer b = ByteBuffer.allocate(16 + Arrays.stream(pixels).mapToInt(p -> p.length).sum());
        b.putInt(magic).putInt(count).putInt(rows).putInt(cols);
        for (int[] image : pixels) {
            for (int p : image) {
                b.put((byte) p);
            }
        }
        return b.array();
    }

    /** IDX label bytes: magic, count (big-endian int32), then the labels. */
    static byte[] idxLabels(int magic, int count, int[] values) {
        ByteBuffer b = ByteBuffer.allocate(8 + values.length).putInt(magic).putInt(count);
        for (int v : values) {
            b.put((byte) v);
        }
        return b.array();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private Path file(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private static int[] pixelsOf(Mat m) {
        int[] out = new int[m.rows() * m.cols()];
        for (int k = 0; k < out.length; k++) {
            out[k] = m.data().get(k) & 0xff;
        }
        return out;
    }

    private static void assertFixture(IdxSource s) {
        assertEquals(3, s.size());
        assertEquals(2, s.rows());
        assertEquals(3, s.cols());
        for (int i = 0; i < 3; i++) {
            try (Mat m = s.read(i)) {
                assertEquals(2, m.rows());
                assertEquals(3, m.cols());
                assertEquals(CV_8UC1, m.type());
                assertArrayEquals(PIXELS[i], pixelsOf(m), "image " + i);
            }
        }
        assertArrayEquals(LABELS, s.labels().labels());
    }

    @Test
    void readsPlainFiles() throws IOException {
        IdxSource s = IdxReader.read(file("img-idx3-ubyte", images), file("lbl-idx1-ubyte", labels));
        assertFixture(s);
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), s.labels().classNames());
        assertEquals("9", s.labels().className(s.labels().label(2)));
        assertEquals(dir.resolve("img-idx3-ubyte") + " image 2", s.describe(2));
    }

    @Test
    void readsGzipFiles() throws IOException {
        assertFixture(IdxReader.read(file("img-idx3-ubyte.gz", gzip(images)), file("lbl-idx1-ubyte.gz", gzip(labels))));
    }

    @Test
    void detectsCompressionFromContentNotName() throws IOException {
        Path plainNamedGz = file("img.gz", images);
        Path gzNamedPlain = file("lbl-idx1-ubyte", gzip(labels));
        assertFixture(IdxReader.read(plainNamedGz, gzNamedPlain));
    }

    @Test
    void eachReadIsANewCopy() throws IOException {
        IdxSource s = IdxReader.read(file("i", images), file("l", labels));
        try (Mat first = s.read(1)) {
            first.data().put(0, (byte) 0);
        }
        try (Mat again = s.read(1)) {
            assertEquals(255, again.data().get(0) & 0xff);
        }
    }

    @Test
    void usesGivenClassNames() throws IOException {
        IdxSource s = IdxReader.read(file("i", images), file("l", labels), IdxReader.FASHION_MNIST_CLASSES);
        assertEquals("Trouser", s.labels().className(s.labels().label(0)));
        assertEquals("Ankle boot", s.labels().className(s.labels().label(2)));
        assertEquals(1, s.labels().label(0));
    }

    @Test
    void tooFewClassNamesFail() throws IOException {
        Path l = file("l", labels);
        Path i = file("i", images);
        List<String> names = List.of("a", "b", "c");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(i, l, names));
        assertEquals("classNames must name every label value 0..9 (label 9 is item 2 of " + l + "), found 3 names",
                e.getMessage());
    }

    @Test
    void countMismatchFails() throws IOException {
        Path i = file("i", images);
        Path l = file("l", idxLabels(IdxReader.LABELS_MAGIC, 2, new int[] {1, 0}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(i, l));
        assertEquals("label count in " + l + " must equal the image count in " + i + ", 3, found 2", e.getMessage());
    }

    @Test
    void swappedFilesFail() throws IOException {
        Path i = file("i", images);
        Path l = file("l", labels);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(l, i));
        assertEquals(l + " byte offset 0: magic number must be 2051 (an IDX image file (unsigned bytes, 3 dimensions)), "
                + "found 2049 (0x00000801), the magic of an IDX label file: are the image and label files swapped?",
                e.getMessage());
    }

    @Test
    void wrongLabelMagicInGzipFails() throws IOException {
        Path i = file("i", images);
        Path l = file("l.gz", gzip(idxLabels(0x0801_0000, 3, LABELS)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(i, l));
        assertEquals(l + " byte offset 0 of the uncompressed data: magic number must be 2049 (an IDX label file "
                + "(unsigned bytes, 1 dimension)), found 134283264 (0x08010000)", e.getMessage());
    }

    @Test
    void truncatedImageDataFails() throws IOException {
        Path i = file("i", Arrays.copyOf(images, 16 + 6 + 4));
        Path l = file("l", labels);
        EOFException e = assertThrows(EOFException.class, () -> IdxReader.read(i, l));
        assertEquals(i + ": image data must hold 3 x 2 x 3 = 18 bytes after the 16-byte header, found 10: the file is "
                + "truncated, image 1 is incomplete (data ends at " + i + " byte offset 26)", e.getMessage());
    }

    @Test
    void truncatedGzipFails() throws IOException {
        byte[] gz = gzip(images);
        Path i = file("i.gz", Arrays.copyOf(gz, gz.length - 12));
        Path l = file("l", labels);
        EOFException e = assertThrows(EOFException.class, () -> IdxReader.read(i, l));
        assertTrue(e.getMessage().startsWith(i + ": image data must hold 3 x 2 x 3 = 18 bytes after the 16-byte header, "
                + "found "), e.getMessage());
        // where the inflater stops depends on the deflate stream, so only the form of the rest is fixed
        assertTrue(e.getMessage().matches(".*: the file is truncated, image \\d is incomplete \\(data ends at "
                + Pattern.quote(i.toString()) + " byte offset \\d+ of the uncompressed data\\)"),
                e.getMessage());
    }

    @Test
    void corruptGzipChecksumFails() throws IOException {
        byte[] gz = gzip(images);
        gz[gz.length - 8] ^= (byte) 0xff;
        Path i = file("i.gz", gz);
        Path l = file("l", labels);
        IOException e = assertThrows(IOException.class, () -> IdxReader.read(i, l));
        assertEquals(i + " byte offset 34 of the uncompressed data: gzip data must be readable, found Corrupt GZIP "
                + "trailer; the file is corrupt: download or install it again", e.getMessage());
    }

    @Test
    void truncatedLabelDataFails() throws IOException {
        Path i = file("i", images);
        Path l = file("l", Arrays.copyOf(labels, 8 + 1));
        EOFException e = assertThrows(EOFException.class, () -> IdxReader.read(i, l));
        assertEquals(l + ": label data must hold 3 = 3 bytes after the 8-byte header, found 1: the file is truncated, "
                + "label 1 is incomplete (data ends at " + l + " byte offset 9)", e.getMessage());
    }

    @Test
    void truncatedHeaderFails() throws IOException {
        Path i = file("i", Arrays.copyOf(images, 7));
        Path l = file("l", labels);
        EOFException e = assertThrows(EOFException.class, () -> IdxReader.read(i, l));
        assertEquals(i + ": IDX header must be 16 bytes (magic, image count, rows, cols), found only 7: the file is "
                + "truncated", e.getMessage());
    }

    @Test
    void emptyFileFails() throws IOException {
        Path i = file("i", images);
        Path l = file("l", new byte[0]);
        EOFException e = assertThrows(EOFException.class, () -> IdxReader.read(i, l));
        assertEquals(l + ": IDX header must be 8 bytes (magic, label count), found only 0: the file is truncated",
                e.getMessage());
    }

    @Test
    void extraBytesFail() throws IOException {
        Path i = file("i", Arrays.copyOf(images, images.length + 5));
        Path l = file("l", labels);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(i, l));
        assertEquals(i + " byte offset 34: image data must end after 3 x 2 x 3 = 18 bytes, found more: the header's "
                + "count or size is wrong", e.getMessage());
    }

    @Test
    void zeroRowsFail() throws IOException {
        Path i = file("i", idxImages(IdxReader.IMAGES_MAGIC, 3, 0, 3, new int[0][]));
        Path l = file("l", labels);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(i, l));
        assertEquals(i + " byte offset 8: rows must be positive, found 0", e.getMessage());
    }

    @Test
    void noImagesFail() throws IOException {
        Path i = file("i", idxImages(IdxReader.IMAGES_MAGIC, 0, 28, 28, new int[0][]));
        Path l = file("l", labels);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(i, l));
        assertEquals(i + " byte offset 4: image count must be positive, found 0", e.getMessage());
    }

    @Test
    void hugeHeaderIsRefusedBeforeAllocating() throws IOException {
        Path i = file("i", idxImages(IdxReader.IMAGES_MAGIC, 100_000, 1000, 1000, new int[0][]));
        Path l = file("l", labels);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(i, l));
        assertEquals(i + " byte offset 16: image data must fit one Java array (at most 2147483639 bytes), found "
                + "100000 x 1000 x 1000 = 100000000000 bytes", e.getMessage());
    }

    @Test
    void wrongCountWithinArrayLimitFailsAsTruncated() throws IOException {
        Path i = file("i", idxImages(IdxReader.IMAGES_MAGIC, 2_000_000, 28, 28, PIXELS));
        Path l = file("l", labels);
        EOFException e = assertThrows(EOFException.class, () -> IdxReader.read(i, l));
        assertEquals(i + ": image data must hold 2000000 x 28 x 28 = 1568000000 bytes after the 16-byte header, found "
                + "18: the file is truncated, image 0 is incomplete (data ends at " + i + " byte offset 34)",
                e.getMessage());
    }

    @Test
    void missingFileFails() throws IOException {
        Path i = file("i", images);
        Path l = dir.resolve("train-labels-idx1-ubyte.gz");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> IdxReader.read(i, l));
        assertEquals(l + ": IDX file must exist, found none; pass an IDX file (Fashion-MNIST: apt-get install -y "
                + "dataset-fashion-mnist puts {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz in "
                + "/usr/share/datasets/fashion-mnist/)", e.getMessage());
    }

    @Test
    void indexOutOfRangeFails() throws IOException {
        Path i = file("i", images);
        IdxSource s = IdxReader.read(i, file("l", labels));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> s.read(3));
        assertEquals("index must be in [0, 3), found 3 (" + i + ")", e.getMessage());
    }
}
