package org.rll4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;

import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassSubsetSourceTest {

    @Test
    void halvesKeepTheirClassesRenumberedAndReadThrough(@TempDir Path root) throws Exception {
        for (int c = 0; c < 5; c++) {
            for (int i = 0; i < 2; i++) {
                TestImages.grey(root.resolve("g" + c + "/" + i + ".png"), 3, 3, 10 * c + i);
            }
        }
        ExampleSource all = ImageListSource.of(ImageFolderReader.read(root).images());
        ClassSubsetSource[] halves = ClassSubsetSource.halves(all);
        assertEquals(List.of("g0", "g1"), halves[0].labels().classNames());
        assertEquals(List.of("g2", "g3", "g4"), halves[1].labels().classNames());
        assertEquals(6, halves[1].size());
        assertEquals(0, halves[1].labels().label(0));
        try (Mat m = halves[1].read(1); UByteIndexer idx = m.createIndexer()) {
            assertEquals(21, idx.get(0, 0, 0)); // g2/1.png
        }
        assertEquals(root.resolve("g2/1.png").toString(), halves[1].describe(1));
    }

    @Test
    void unknownClassIsNamed(@TempDir Path root) throws Exception {
        TestImages.grey(root.resolve("a/0.png"), 2, 2, 1);
        ExampleSource all = ImageListSource.of(ImageFolderReader.read(root).images());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClassSubsetSource.of(all, List.of("zz")));
        assertEquals("class 'zz' does not occur in the source (classes: [a])", e.getMessage());
    }
}
