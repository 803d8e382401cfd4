package org.rll4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {

    private final ImageDecoder decoder = ImageDecoder.onWhite();

    @Test
    void rgbaIsCompositedOntoWhite(@TempDir Path dir) throws Exception {
        // colour (R, G, B) = (200, 100, 0) at alpha 128: out = round((c*128 + 255*127) / 255)
        Path file = TestImages.rgba(dir.resolve("a.png"), 4, 3, 0xc86400, 128);
        try (Mat m = decoder.decode(file); UByteIndexer idx = m.createIndexer()) {
            assertEquals(3, m.channels());
            assertEquals(3, m.rows());
            assertEquals(4, m.cols());
            // OpenCV order is BGR
            assertEquals((0 * 128 + 255 * 127 + 127) / 255, idx.get(1, 2, 0));
            assertEquals((100 * 128 + 255 * 127 + 127) / 255, idx.get(1, 2, 1));
            assertEquals((200 * 128 + 255 * 127 + 127) / 255, idx.get(1, 2, 2));
        }
        Path transparent = TestImages.rgba(dir.resolve("t.png"), 2, 2, 0x000000, 0);
        try (Mat m = decoder.decode(transparent); UByteIndexer idx = m.createIndexer()) {
            assertEquals(255, idx.get(0, 0, 0));
            assertEquals(255, idx.get(1, 1, 2));
        }
    }

    @Test
    void greyStaysOneChannelAndRgbThree(@TempDir Path dir) throws Exception {
        try (Mat m = decoder.decode(TestImages.grey(dir.resolve("g.png"), 5, 5, 77)); UByteIndexer idx = m.createIndexer()) {
            assertEquals(1, m.channels());
            assertEquals(77, idx.get(2, 2, 0));
        }
        try (Mat m = decoder.decode(TestImages.solid(dir.resolve("c.png"), 5, 5, 0x102030, "png"));
             UByteIndexer idx = m.createIndexer()) {
            assertEquals(3, m.channels());
            assertEquals(0x30, idx.get(0, 0, 0)); // B
            assertEquals(0x10, idx.get(0, 0, 2)); // R
        }
    }

    @Test
    void emptyCorruptAndTruncatedFilesFailNamingTheFile(@TempDir Path dir) throws Exception {
        Path empty = Files.createFile(dir.resolve("e.png"));
        assertTrue(assertThrows(java.io.IOException.class, () -> decoder.decode(empty)).getMessage()
                .contains(empty + ": the file is empty"));
        Path garbage = Files.write(dir.resolve("g.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 1, 2, 3, 4});
        assertTrue(assertThrows(java.io.IOException.class, () -> decoder.decode(garbage)).getMessage()
                .startsWith("cannot decode " + garbage + ": not a readable JPEG or PNG image"));
        Path png = TestImages.rgb(dir.resolve("full.png"), 64, 64, 3, "png");
        byte[] bytes = Files.readAllBytes(png);
        Path truncated = Files.write(dir.resolve("half.png"), Arrays.copyOf(bytes, bytes.length / 3));
        assertThrows(java.io.IOException.class, () -> decoder.decode(truncated));
    }

    @Test
    void backgroundMustBeAGreyLevel() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ImageDecoder(300));
        assertEquals("background must be a grey level in [0, 255], found 300", e.getMessage());
    }
}
