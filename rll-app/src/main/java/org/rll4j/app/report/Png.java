package org.rll4j.app.report;

import java.io.IOException;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;

/** PNG encoding of decoded images, for the HTML report's thumbnails and {@code rll prepare}. */
public final class Png {

    private Png() {
    }

    /**
     * @param image an 8-bit Mat, 1 channel (grey) or 3 channels (BGR)
     * @return the PNG file's bytes
     * @throws IOException when OpenCV cannot encode it (the message names the size and type)
     */
    public static byte[] encode(Mat image) throws IOException {
        try (BytePointer buf = new BytePointer()) {
            if (!opencv_imgcodecs.imencode(".png", image, buf)) {
                throw new IOException("OpenCV could not encode a " + image.cols() + "x" + image.rows() + " image of type "
                        + image.type() + " as PNG");
            }
            byte[] bytes = new byte[(int) buf.limit()];
            buf.get(bytes);
            return bytes;
        }
    }
}
