package org.rll4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Random;

import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagePipelineTest {

    @Test
    void normalisationAndChannelOrder(@TempDir Path dir) throws Exception {
        Path file = TestImages.solid(dir.resolve("c.png"), 6, 6, 0xff8000, "png"); // R 255, G 128, B 0
        try (Mat m = ImageDecoder.onWhite().decode(file)) {
            float[] unit = run(ImagePipeline.builder().resize(4, 4).normalization(Normalization.UNIT).build(), m);
            assertEquals(1.0f, unit[0], 1e-6);           // plane 0 = R
            assertEquals(128 / 255f, unit[16], 1e-6);    // plane 1 = G
            assertEquals(0f, unit[32], 1e-6);            // plane 2 = B
            float[] caffe = run(ImagePipeline.builder().resize(4, 4).normalization(Normalization.CAFFE_BGR).build(), m);
            assertEquals(0 - 104f, caffe[0], 1e-4);      // plane 0 = B
            assertEquals(255 - 123f, caffe[32], 1e-4);   // plane 2 = R
            float[] imagenet = run(ImagePipeline.builder().resize(4, 4).build(), m);
            assertEquals((1.0f - 0.485f) / 0.229f, imagenet[0], 1e-4);
            float[] grey = run(ImagePipeline.builder().resize(4, 4).channels(1).normalization(Normalization.NONE).build(), m);
            assertEquals(16, grey.length);
            assertTrue(grey[0] > 100 && grey[0] < 200, "grey level of orange: " + grey[0]);
        }
    }

    @Test
    void presetsProduceTheirSizeAndTrainIsSeededRandom(@TempDir Path dir) throws Exception {
        Path file = TestImages.rgb(dir.resolve("r.jpg"), 300, 240, 9, "jpg");
        try (Mat m = ImageDecoder.onWhite().decode(file)) {
            ImagePipeline train = ImagePipeline.train(227);
            ImagePipeline test = ImagePipeline.test(256, 227);
            assertEquals(3 * 227 * 227, train.valuesPerImage());
            float[] a = run(train, m, 1);
            float[] b = run(train, m, 1);
            float[] c = run(train, m, 2);
            assertArrayEquals(a, b);
            assertFalse(java.util.Arrays.equals(a, c));
            assertArrayEquals(run(test, m, 1), run(test, m, 2)); // deterministic
        }
    }

    @Test
    void centreCropEnlargesSmallImages(@TempDir Path dir) throws Exception {
        Path file = TestImages.rgb(dir.resolve("s.png"), 20, 10, 4, "png");
        try (Mat m = ImageDecoder.onWhite().decode(file)) {
            assertEquals(3 * 32 * 32, run(ImagePipeline.builder().centerCrop(32, 32).build(), m).length);
        }
    }

    @Test
    void invalidStepsAreRejected() {
        assertEquals("a pipeline needs a sizing step (resize, crop) to fix the output size, found [horizontal flip p=0.5]",
                assertThrows(IllegalArgumentException.class,
                        () -> ImagePipeline.builder().horizontalFlip(0.5).build()).getMessage());
        assertEquals("scale range must satisfy 0 < scaleMin <= scaleMax <= 1, found [0.8, 0.5]",
                assertThrows(IllegalArgumentException.class,
                        () -> ImagePipeline.builder().randomResizedCrop(8, 8, 0.8, 0.5, 1, 1)).getMessage());
        assertEquals("channels must be 1 or 3, found 4", assertThrows(IllegalArgumentException.class,
                () -> ImagePipeline.builder().resize(2, 2).channels(4).build()).getMessage());
        assertEquals("flip probability must be in [0, 1], found 2.0",
                assertThrows(IllegalArgumentException.class, () -> ImagePipeline.builder().horizontalFlip(2)).getMessage());
    }

    static float[] run(ImagePipeline p, Mat m) {
        return run(p, m, 0);
    }

    static float[] run(ImagePipeline p, Mat m, long seed) {
        float[] out = new float[p.valuesPerImage()];
        p.newRunner().apply(m, new Random(seed), out, 0);
        return out;
    }
}
