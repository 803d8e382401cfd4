package org.rll4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

/** The memory benchmark on a tiny budget: four rows per protocol at one rate, each memory run with its memory. */
@Tag("training")
class MemoryBenchmarkTest {

    private static final List<String> TINY = List.of("dataset.root=../datasets/emoji32/images", "sampler.classesPerBatch=8",
            "model.widths=[8, 16, 32]", "model.embeddingDim=8", "evaluation.every=0", "training.checkpointEvery=0", "ui.enabled=false",
            "sampler.workers=1");

    @Test
    void everyProtocolGetsTheInBatchRowAndThreeMemoryRowsAtOneRate(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        String md = MemoryBenchmark.run(dir, false, 1, List.of(new AccuracyBenchmark.Protocol("tiny emoji", null, TINY, 5, 5)),
                new PrintStream(console, true, StandardCharsets.UTF_8));
        assertTrue(md.contains("tiny emoji: 1906 training images, memory warm-up 1 of 5 iterations"), md);
        for (String row : List.of("| rll-in-batch | 0.002 |", "| rll-memory-512 | 0.002 |", "| rll-memory-2048 | 0.002 |",
                "| rll-memory-all-1906 | 0.002 |")) {
            assertTrue(md.contains(row), row + " in\n" + md);
        }
        Path runs = dir.resolve("tiny-emoji/runs/tiny-emoji");
        String config = Files.readString(runs.resolve("rll-memory-all-1906/seed-42-it5/config.yaml"));
        assertTrue(config.contains("size: 1906") && config.contains("warmupIterations: 1"), config);
        assertFalse(Files.readString(runs.resolve("rll-in-batch/seed-42-it5/config.yaml")).contains("memory:"));
        try (var s = Files.list(runs.resolve("rll-memory-512"))) {
            assertEquals(List.of("seed-42-it5"), s.map(p -> p.getFileName().toString()).toList(), "no learning-rate search");
        }
        assertTrue(Files.isRegularFile(dir.resolve("memory.md")));
        // the drift probe at iteration 0, re-embedded after each later step
        String drift = md.substring(md.indexOf("tiny emoji: embedding drift"));
        assertTrue(drift.contains("\n| 1 | 0.") && drift.contains("\n| 4 | 0."), drift);
        assertFalse(drift.contains("\n| 5 |"), "no probe is older than the run: " + drift);
    }

    @Test
    void optionsAreParsedAndBadOnesNamed() {
        AccuracyBenchmark.Options o = AccuracyBenchmark.Options.parse("memory", new String[] {"--quick"});
        assertEquals(new AccuracyBenchmark.Options(true, 1, Path.of("runs", "bench-memory-quick")), o);
        assertEquals(3, AccuracyBenchmark.Options.parse("memory", new String[0]).seeds());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AccuracyBenchmark.Options.parse("memory", new String[] {"--fast"}));
        assertEquals("unknown option '--fast' for bench memory; known: --quick, --seeds N, --out DIR", e.getMessage());
    }
}
