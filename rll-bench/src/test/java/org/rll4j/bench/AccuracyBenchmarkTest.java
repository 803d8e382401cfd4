package org.rll4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The accuracy benchmark end to end on a tiny budget: the learning-rate search, the runs, the tables, and resuming. */
@Tag("training")
class AccuracyBenchmarkTest {

    @Test
    void meanAndSampleStandardDeviation() {
        assertEquals("0.5000", AccuracyBenchmark.meanSd(new double[] {0.5}));
        assertEquals("2.0000 ± 1.0000", AccuracyBenchmark.meanSd(new double[] {1, 2, 3}));
    }

    @Test
    void aTinyBenchmarkRunsEveryStepAndAnInterruptedOneResumes(@TempDir Path dir) throws Exception {
        List<String> tiny = List.of("dataset.root=../datasets/emoji32/images", "sampler.classesPerBatch=8", "model.widths=[8, 16, 32]",
                "model.embeddingDim=8", "evaluation.every=0", "training.checkpointEvery=0", "ui.enabled=false", "sampler.workers=1");
        List<AccuracyBenchmark.Protocol> protocols = List.of(new AccuracyBenchmark.Protocol("tiny emoji", null, tiny, 4, 2));
        List<AccuracyBenchmark.Loss> losses = AccuracyBenchmark.LOSSES.subList(0, 2);
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        new AccuracyBenchmark(dir, true, 1, protocols, losses, new PrintStream(first, true, StandardCharsets.UTF_8)).run();
        String log = first.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("tiny emoji         rll                  learning rate"), log);
        String md = Files.readString(dir.resolve("accuracy.md"));
        assertTrue(md.contains("### tiny emoji (2 iterations, 1 seed)"), md);
        assertTrue(md.contains("| raw pixels | ") && md.contains("| untrained | ") && md.contains("| rll | ")
                && md.contains("| contrastive | "), md);
        String json = Files.readString(dir.resolve("accuracy.json"));
        assertTrue(json.contains("\"learningRates\"") && json.contains("\"Recall@1\""), json);
        assertTrue(md.contains("![Recall@1 per loss, tiny emoji](accuracy-tiny-emoji-r1.png)"), md);
        assertTrue(javax.imageio.ImageIO.read(dir.resolve("accuracy-tiny-emoji-r1.png").toFile()).getHeight() == 40 + 40 + 4 * 30,
                "a bar per model: raw pixels, untrained, rll, contrastive");
        // 2 losses x (3 validation runs + 1 seed)
        assertEquals(8, Files.list(dir.resolve("logs")).count());

        ByteArrayOutputStream second = new ByteArrayOutputStream();
        new AccuracyBenchmark(dir, true, 1, protocols, losses, new PrintStream(second, true, StandardCharsets.UTF_8)).run();
        String again = second.toString(StandardCharsets.UTF_8);
        assertEquals(8, again.split("done before", -1).length - 1, "nothing is trained twice: " + again);
        assertEquals(md, Files.readString(dir.resolve("accuracy.md")), "the same tables from the same runs");
    }
}
