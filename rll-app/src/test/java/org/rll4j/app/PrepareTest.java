package org.rll4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rll4j.sampler.LabelIndex;

/** {@code rll prepare}: IDX files to class folders of PNGs, split as training reads them. */
class PrepareTest {

    /** Writes {@code <prefix>-images-idx3-ubyte} and its labels file; pixel (r, c) of image i = 7 i + 3 r + c (mod 256). */
    private static Path idx(Path dir, String prefix, int[] labels) throws IOException {
        Path images = dir.resolve(prefix + "-images-idx3-ubyte");
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(images))) {
            out.writeInt(2051);
            out.writeInt(labels.length);
            out.writeInt(8);
            out.writeInt(8);
            for (int i = 0; i < labels.length; i++) {
                for (int p = 0; p < 64; p++) {
                    out.writeByte(pixel(i, p / 8, p % 8));
                }
            }
        }
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(dir.resolve(prefix + "-labels-idx1-ubyte")))) {
            out.writeInt(2049);
            out.writeInt(labels.length);
            for (int l : labels) {
                out.writeByte(l);
            }
        }
        return images;
    }

    private static int pixel(int image, int row, int col) {
        return (7 * image + 3 * row + col) & 0xff;
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Test
    void idxToClassFoldersSplitAsTrainingReadsThem(@TempDir Path dir) throws Exception {
        Path train = idx(dir, "train", new int[] {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3});
        Path test = idx(dir, "t10k", new int[] {3, 2, 1, 0, 3, 2});
        Path out = dir.resolve("prepared");
        Cli.Run r = Cli.run("prepare", "--set", "dataset.format=idx", "--set", "dataset.root=" + train,
                "--set", "dataset.test=" + test, "--set", "dataset.imageSize=8", "-o", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("10 images") && r.out().contains(out.toString()), r.out());
        // training: classes 0 and 1 of the training file; test: classes 2 and 3 of the test file
        List<String> names = files(out).stream().map(p -> out.relativize(p).toString()).toList();
        assertEquals(List.of("test/2/000001.png", "test/2/000003.png", "test/3/000000.png", "test/3/000002.png",
                "train/0/000000.png", "train/0/000002.png", "train/0/000004.png",
                "train/1/000001.png", "train/1/000003.png", "train/1/000005.png"), names);
        // the pixels survive: train/1/000003.png is the training file's image 5 (the 4th of classes 0 and 1)
        BufferedImage img = ImageIO.read(out.resolve("train/1/000003.png").toFile());
        assertEquals(8, img.getWidth());
        int[] got = new int[64];
        int[] want = new int[64];
        for (int p = 0; p < 64; p++) {
            got[p] = img.getRaster().getSample(p % 8, p / 8, 0);
            want[p] = pixel(5, p / 8, p % 8);
        }
        assertArrayEquals(want, got);
        try (Stream<Path> beside = Files.list(dir)) {
            assertTrue(beside.noneMatch(p -> p.getFileName().toString().startsWith(".prepared")), "temporary folder left behind");
        }

        Cli.Run again = Cli.run("prepare", "--set", "dataset.format=idx", "--set", "dataset.root=" + train,
                "--set", "dataset.test=" + test, "--set", "dataset.imageSize=8", "-o", out.toString());
        assertEquals(Main.IO, again.code());
        assertTrue(again.err().contains(out.toString()) && again.err().contains("choose another --out"), again.err());
    }

    @Test
    void missingDatasetIsAnIoErrorNamingThePath(@TempDir Path dir) {
        Path missing = dir.resolve("nope-images-idx3-ubyte");
        Cli.Run r = Cli.run("prepare", "--set", "dataset.format=idx", "--set", "dataset.root=" + missing,
                "--set", "dataset.test=" + missing, "-o", dir.resolve("out").toString());
        assertEquals(Main.IO, r.code());
        assertTrue(r.err().contains(missing.toString()), r.err());
        assertTrue(!Files.exists(dir.resolve("out")));
    }

    @Test
    void classNamesBecomeDistinctPortableFolderNames(@TempDir Path dir) {
        assertEquals("T-shirt_top", Prepare.safeName("T-shirt/top"));
        assertEquals("Ankle_boot", Prepare.safeName("Ankle boot"));
        assertEquals("_..", Prepare.safeName(".."));
        assertEquals("_", Prepare.safeName(""));
        LabelIndex labels = LabelIndex.of(List.of("a/b", "a b", "ok"), new int[] {0, 1, 2, 1});
        Map<Integer, Path> f = Prepare.folders(labels, dir);
        assertEquals(dir.resolve("a_b"), f.get(0));
        assertEquals(dir.resolve("a_b_1"), f.get(1));
        assertEquals(dir.resolve("ok"), f.get(2));
    }
}
