package org.rll4j.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

import org.rll4j.sampler.LabelIndex;

/**
 * Reads an IDX image file and its label file (<a href="http://yann.lecun.com/exdb/mnist/">MNIST</a>,
 * <a href="https://github.com/zalandoresearch/fashion-mnist">Fashion-MNIST</a>) into an in-memory
 * {@link IdxSource}.
 *
 * <p>Format, all integers big-endian int32:
 * <pre>
 * images: magic 2051 (0x00000803: unsigned bytes, 3 dimensions), count, rows, cols, then count*rows*cols pixels
 * labels: magic 2049 (0x00000801: unsigned bytes, 1 dimension),  count, then count labels
 * </pre>
 * Either file may be gzip-compressed; compression is detected from the gzip magic bytes
 * {@code 0x1f 0x8b}, never from the file name. Byte offsets in messages count the uncompressed data.
 *
 * <p><b>Class names</b>: by default the label values as decimal strings, {@code "0"} up to the largest
 * label (class id = label value); or names given by the caller, one per label value, such as
 * {@link #FASHION_MNIST_CLASSES}.
 *
 * <p><b>Bad input</b>: every case fails, naming the file and the byte offset or the item:
 * <ul>
 *   <li>a missing file: {@link NoSuchFileException};</li>
 *   <li>a file that ends early (header or data, plain or gzip): {@link EOFException} naming the item
 *       it ends in; a corrupt gzip stream: {@link IOException};</li>
 *   <li>a wrong magic number (for example images and labels swapped), a count, row or column number
 *       that is not positive, data too large for one Java array, bytes after the last item,
 *       image and label counts that differ, too few class names: {@link IllegalArgumentException}.</li>
 * </ul>
 * An IDX file with no items is refused as well: it is not a dataset.
 */
public final class IdxReader {

    /** Magic number of an IDX file of unsigned-byte images (3 dimensions). */
    public static final int IMAGES_MAGIC = 2051;
    /** Magic number of an IDX file of unsigned-byte labels (1 dimension). */
    public static final int LABELS_MAGIC = 2049;
    /** Fashion-MNIST's class names, label 0 to 9. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
    private static final String HINT = "pass an IDX file (Fashion-MNIST: apt-get install -y dataset-fashion-mnist "
            + "puts {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz in /usr/share/datasets/fashion-mnist/)";

    private IdxReader() {
    }

    /**
     * Reads an image file and its label file; class names are the label values.
     *
     * @param imagesFile the {@code *-images-idx3-ubyte[.gz]} file
     * @param labelsFile the {@code *-labels-idx1-ubyte[.gz]} file
     * @return the images in file order
     * @throws NoSuchFileException when a file is missing
     * @throws EOFException when a file is truncated
     * @throws IOException when a file cannot be read
     * @throws IllegalArgumentException for bad content (see the class comment)
     */
    public static IdxSource read(Path imagesFile, Path labelsFile) throws IOException {
        return read(imagesFile, labelsFile, null);
    }

    /**
     * Reads an image file and its label file with class names.
     *
     * @param imagesFile the {@code *-images-idx3-ubyte[.gz]} file
     * @param labelsFile the {@code *-labels-idx1-ubyte[.gz]} file
     * @param classNames name of each label value, index = label; at least one more than the largest
     *     label; {@code null} for the label values as strings
     * @return the images in file order
     * @throws NoSuchFileException when a file is missing
     * @throws EOFException when a file is truncated
     * @throws IOException when a file cannot be read
     * @throws IllegalArgumentException for bad content (see the class comment)
     */
    public static IdxSource read(Path imagesFile, Path labelsFile, List<String> classNames) throws IOException {
        Objects.requireNonNull(imagesFile, "imagesFile must not be null");
        Objects.requireNonNull(labelsFile, "labelsFile must not be null");
        int[] dims = new int[3];
        byte[] pixels;
        try (IdxStream in = IdxStream.open(imagesFile)) {
            ByteBuffer h = in.header(16, "magic, image count, rows, cols", IMAGES_MAGIC,
                    "an IDX image file (unsigned bytes, 3 dimensions)");
            dims[0] = in.requirePositive(h.getInt(), 4, "image count");
            dims[1] = in.requirePositive(h.getInt(), 8, "rows");
            dims[2] = in.requirePositive(h.getInt(), 12, "cols");
            pixels = in.data((long) dims[0] * dims[1] * dims[2], (long) dims[1] * dims[2], "image",
                    dims[0] + " x " + dims[1] + " x " + dims[2]);
        }
        byte[] labelBytes;
        try (IdxStream in = IdxStream.open(labelsFile)) {
            ByteBuffer h = in.header(8, "magic, label count", LABELS_MAGIC,
                    "an IDX label file (unsigned bytes, 1 dimension)");
            int count = in.requirePositive(h.getInt(), 4, "label count");
            if (count != dims[0]) {
                throw new IllegalArgumentException("label count in " + labelsFile + " must equal the image count in "
                        + imagesFile + ", " + dims[0] + ", found " + count);
            }
            labelBytes = in.data(count, 1, "label", Integer.toString(count));
        }

        int[] labels = new int[labelBytes.length];
        int max = 0;
        int maxItem = 0;
        for (int i = 0; i < labels.length; i++) {
            labels[i] = labelBytes[i] & 0xff;
            if (labels[i] > max) {
                max = labels[i];
                maxItem = i;
            }
        }
        List<String> names;
        if (classNames == null) {
            names = new ArrayList<>(max + 1);
            for (int c = 0; c <= max; c++) {
                names.add(Integer.toString(c));
            }
        } else {
            names = List.copyOf(classNames);
            if (names.size() <= max) {
                throw new IllegalArgumentException("classNames must name every label value 0.." + max + " (label " + max
                        + " is item " + maxItem + " of " + labelsFile + "), found " + names.size() + " names");
            }
        }
        return new IdxSource(imagesFile, pixels, dims[1], dims[2], LabelIndex.of(names, labels));
    }

    /** An IDX file opened for reading, plain or gzip, that tracks the uncompressed byte offset. */
    private static final class IdxStream implements AutoCloseable {
        private final Path file;
        private final boolean gzip;
        private final InputStream in;
        private long offset;

        private IdxStream(Path file, boolean gzip, InputStream in) {
            this.file = file;
            this.gzip = gzip;
            this.in = in;
        }

        static IdxStream open(Path file) throws IOException {
            if (!Files.isRegularFile(file)) {
                throw new NoSuchFileException(file.toString(), null, "IDX file must exist, found none; " + HINT);
            }
            BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            try {
                raw.mark(2);
                boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
                raw.reset();
                if (!gzip) {
                    return new IdxStream(file, false, raw);
                }
                try {
                    return new IdxStream(file, true, new GZIPInputStream(raw, 1 << 16));
                } catch (EOFException e) {
                    throw eof(file, "gzip header must be complete, found the file ends inside it", e);
                } catch (IOException e) {
                    throw new IOException(file + ": gzip header must be valid, found " + e.getMessage()
                            + "; the file is corrupt: download or install it again", e);
                }
            } catch (IOException | RuntimeException e) {
                raw.close();
                throw e;
            }
        }

        private static EOFException eof(Path file, String message, Throwable cause) {
            EOFException e = new EOFException(file + ": " + message);
            if (cause != null) {
                e.initCause(cause);
            }
            return e;
        }

        private String at(long byteOffset) {
            return file + " byte offset " + byteOffset + (gzip ? " of the uncompressed data" : "");
        }

        /** Reads up to {@code len} bytes; fewer only at the end of the data. */
        private int readUpTo(byte[] buf, int off, int len) throws IOException {
            int n = 0;
            while (n < len) {
                int r;
                try {
                    r = in.read(buf, off + n, len - n);
                } catch (EOFException e) {
                    return n;
                } catch (IOException e) {
                    throw new IOException(at(offset) + ": " + (gzip ? "gzip data" : "data") + " must be readable, found "
                            + e.getMessage() + "; the file is corrupt: download or install it again", e);
                }
                if (r < 0) {
                    return n;
                }
                n += r;
                offset += r;
            }
            return n;
        }

        /**
         * Reads the header and checks its magic number as soon as it is read, so that a wrong file is named
         * as such even when it is shorter than the header.
         *
         * @return the header, positioned after the magic number
         */
        ByteBuffer header(int length, String fields, int magic, String kind) throws IOException {
            byte[] h = new byte[length];
            int n = readUpTo(h, 0, 4);
            if (n == 4) {
                requireMagic(ByteBuffer.wrap(h).getInt(), magic, kind);
                n += readUpTo(h, 4, length - 4);
            }
            if (n < length) {
                throw eof(file, "IDX header must be " + length + " bytes (" + fields + "), found only " + n
                        + ": the file is truncated", null);
            }
            return ByteBuffer.wrap(h, 4, length - 4);
        }

        private void requireMagic(int found, int expected, String kind) {
            if (found != expected) {
                String hint = found == IMAGES_MAGIC ? ", the magic of an IDX image file: are the image and label files "
                        + "swapped?" : found == LABELS_MAGIC ? ", the magic of an IDX label file: are the image and label "
                        + "files swapped?" : "";
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s: magic number must be %d (%s), found %d (0x%08X)%s", at(0), expected, kind, found, found,
                        hint));
            }
        }

        int requirePositive(int value, long byteOffset, String name) {
            if (value <= 0) {
                throw new IllegalArgumentException(at(byteOffset) + ": " + name + " must be positive, found " + value);
            }
            return value;
        }

        /**
         * Reads exactly {@code length} bytes of items of {@code itemSize} bytes, then checks that the data ends.
         * Grows its buffer while reading, so a corrupt count cannot allocate more than the file holds.
         */
        byte[] data(long length, long itemSize, String item, String shape) throws IOException {
            long header = offset;
            if (length > MAX_ARRAY) {
                throw new IllegalArgumentException(at(header) + ": " + item + " data must fit one Java array (at most "
                        + MAX_ARRAY + " bytes), found " + shape + " = " + length + " bytes");
            }
            int total = (int) length;
            byte[] buf = new byte[Math.min(total, 1 << 20)];
            int n = 0;
            while (n < total) {
                if (n == buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(total, 2L * buf.length));
                }
                int r = readUpTo(buf, n, buf.length - n);
                n += r;
                if (n < buf.length) {
                    break;
                }
            }
            if (n < total) {
                throw eof(file, String.format(Locale.ROOT,
                        "%s data must hold %s = %d bytes after the %d-byte header, found %d: the file is truncated, "
                                + "%s %d is incomplete (data ends at %s)", item, shape, total, header, n, item,
                                n / itemSize, at(offset)),
                        null);
            }
            byte[] one = new byte[1];
            if (readUpTo(one, 0, 1) > 0) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s: %s data must end after %s = %d bytes, found more: the header's count or size is wrong",
                        at(header + total), item, shape, total));
            }
            return buf;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
