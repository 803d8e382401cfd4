package org.rll4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.eval.RetrievalEvaluator;
import org.rll4j.eval.RetrievalMetric;
import org.rll4j.eval.RetrievalReport;

/**
 * The committed default dataset (datasets/emoji32, built by datasets/emoji32/build.sh): every file
 * matches the manifest, the folder reader sees 1906 classes of 2 RGB 32x32 images, the class split is
 * the documented one, and raw pixels give the documented baseline.
 */
class Emoji32DatasetTest {

    static final Path ROOT = Path.of("..", "datasets", "emoji32");

    @Test
    void everyImageMatchesTheManifest() throws Exception {
        List<String> lines = Files.readAllLines(ROOT.resolve("MANIFEST.sha256"));
        assertEquals(3812, lines.size());
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (String line : lines) {
            String hash = line.substring(0, 64);
            String file = line.substring(66);
            assertEquals(hash, HexFormat.of().formatHex(sha.digest(Files.readAllBytes(ROOT.resolve(file)))), file);
        }
    }

    @Test
    void readsAs1906ClassesOfTwo32x32RgbImagesSplitInHalves() throws Exception {
        ImageFolderReader.Result r = ImageFolderReader.read(ROOT.resolve("images"));
        assertTrue(r.skipped().isEmpty(), r.skipped().toString());
        ImageList all = r.images();
        assertEquals(1906, all.labels().numClasses());
        assertEquals(3812, all.size());
        for (int c = 0; c < all.labels().numClasses(); c++) {
            assertEquals(2, all.labels().count(c), all.labels().className(c));
        }
        try (Mat m = ImageDecoder.onWhite().decode(all.get(0).path())) {
            assertEquals(32, m.rows());
            assertEquals(32, m.cols());
            assertEquals(3, m.channels());
        }
        ClassSplit split = ClassSplit.halves(all);
        assertEquals(953, split.train().labels().numClasses());
        assertEquals(953, split.test().labels().numClasses());
        assertEquals("1f513", split.train().labels().className(952));
        assertEquals("1f514", split.test().labels().className(0));
    }

    @Test
    void rawPixelsGiveTheDocumentedBaselineOnTheTestHalf() throws Exception {
        ImageList test = ClassSplit.halves(ImageFolderReader.read(ROOT.resolve("images")).images()).test();
        ImagePipeline raw = ImagePipeline.builder().resize(32, 32).normalization(Normalization.UNIT).build();
        ImagePipeline.Runner runner = raw.newRunner();
        float[] pixels = new float[test.size() * raw.valuesPerImage()];
        ImageDecoder decoder = ImageDecoder.onWhite();
        for (int i = 0; i < test.size(); i++) {
            try (Mat m = decoder.decode(test.get(i).path())) {
                runner.apply(m, new java.util.Random(0), pixels, i * raw.valuesPerImage());
            }
        }
        INDArray x = Nd4j.createFromArray(pixels).reshape(test.size(), raw.valuesPerImage()).castTo(DataType.DOUBLE);
        // cosine ranking: the evaluator L2-normalises the rows (Euclidean on raw pixels differs slightly)
        RetrievalReport report = RetrievalEvaluator.builder().recallAt(1, 8).metrics(RetrievalMetric.RECALL_AT_K).build()
                .evaluate(x, test.labels().labels());
        double r1 = report.recallAt(1);
        double r8 = report.recallAt(8);
        System.out.printf("emoji32 test half, raw pixels (cosine): R@1 %.3f, R@8 %.3f%n", r1, r8);
        assertTrue(r1 > 0.10 && r1 < 0.20, "R@1 " + r1);
        assertTrue(r8 > 0.25 && r8 < 0.40, "R@8 " + r8);
    }
}
