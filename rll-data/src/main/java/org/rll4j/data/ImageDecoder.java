package org.rll4j.data;

import static org.bytedeco.opencv.global.opencv_core.CV_16U;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_UNCHANGED;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Decodes JPEG and PNG files with OpenCV into 8-bit images of 1 (grey) or 3 (BGR) channels.
 *
 * <ul>
 *   <li>Grey stays 1 channel, colour stays 3 (OpenCV's BGR order); 16-bit PNGs are scaled to 8 bits.</li>
 *   <li>Alpha (RGBA, grey+alpha) is composited onto a fixed background colour, white by default:
 *       {@code out = round(c * a/255 + bg * (1 - a/255))} per channel, so transparent pixels become
 *       the background and the result has no alpha channel.</li>
 * </ul>
 * Files are read as bytes and decoded in memory (paths with any characters work). Thread-safe.
 */
public final class ImageDecoder {

    /** Background for alpha compositing: white. */
    public static final int WHITE = 255;

    private final int background;

    /**
     * @param background grey level 0..255 of the background alpha is composited onto
     */
    public ImageDecoder(int background) {
        if (background < 0 || background > 255) {
            throw new IllegalArgumentException("background must be a grey level in [0, 255], found " + background);
        }
        this.background = background;
    }

    /** A decoder that composites onto white. */
    public static ImageDecoder onWhite() {
        return new ImageDecoder(WHITE);
    }

    /**
     * @param file a JPEG or PNG file
     * @return a new 8-bit Mat with 1 or 3 channels; the caller closes it
     * @throws IOException when the file cannot be read or is not a decodable image; the message names it
     */
    public Mat decode(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length == 0) {
            throw new IOException("cannot decode " + file + ": the file is empty (0 bytes)");
        }
        Mat decoded;
        try (BytePointer data = new BytePointer(bytes); Mat raw = new Mat(1, bytes.length, CV_8U, data)) {
            decoded = imdecode(raw, IMREAD_UNCHANGED);
        }
        if (decoded == null || decoded.empty()) {
            throw new IOException("cannot decode " + file + ": not a readable JPEG or PNG image (corrupt, truncated "
                    + "or another format); delete or replace the file");
        }
        return toEightBitWithoutAlpha(decoded, file);
    }

    private Mat toEightBitWithoutAlpha(Mat m, Path file) throws IOException {
        if (m.depth() == CV_16U) {
            Mat eight = new Mat();
            m.convertTo(eight, CV_8U, 1.0 / 257, 0);
            m.close();
            m = eight;
        } else if (m.depth() != CV_8U) {
            int depth = m.depth();
            m.close();
            throw new IOException("cannot decode " + file + ": unsupported pixel depth " + depth + " (8 or 16 bits expected)");
        }
        int channels = m.channels();
        if (channels == 1 || channels == 3) {
            return m;
        }
        if (channels != 2 && channels != 4) {
            m.close();
            throw new IOException("cannot decode " + file + ": unsupported channel count " + channels);
        }
        Mat out = composite(m, channels - 1);
        m.close();
        return out;
    }

    /** Composites the last channel (alpha) of {@code m} over the background; returns a new Mat. */
    private Mat composite(Mat m, int colourChannels) {
        int rows = m.rows();
        int cols = m.cols();
        Mat out = new Mat(rows, cols, colourChannels == 1 ? org.bytedeco.opencv.global.opencv_core.CV_8UC1
                : org.bytedeco.opencv.global.opencv_core.CV_8UC3);
        try (UByteIndexer in = m.createIndexer(); UByteIndexer o = out.createIndexer()) {
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    int a = in.get(y, x, colourChannels);
                    for (int c = 0; c < colourChannels; c++) {
                        int v = in.get(y, x, c);
                        o.put(y, x, c, (v * a + background * (255 - a) + 127) / 255);
                    }
                }
            }
        }
        return out;
    }
}
