package org.rll4j.listeners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWriteThatFailsMidwayLeavesTheOldFileAndNoTemporaryOne(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("metrics.csv");
        AtomicFiles.writeString(target, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, tmp -> {
            Files.writeString(tmp, "half of the new con");
            throw new IOException("disk full");
        }));
        assertEquals("cannot write " + target + ": disk full", e.getMessage());
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("metrics.csv"), files(dir));
    }

    @Test
    void leftoversOfKilledWritesAreRemovedAndNothingElse(@TempDir Path dir) throws Exception {
        Path leftover = Files.writeString(dir.resolve(".best.zip.123456.tmp"), "partial");
        Files.writeString(dir.resolve("best.zip"), "whole");
        Files.writeString(dir.resolve("notes.tmp"), "not ours: not hidden");
        assertEquals(List.of(leftover), AtomicFiles.removeLeftovers(dir));
        assertEquals(List.of("best.zip", "notes.tmp"), files(dir));
    }

    @Test
    void aModelIsWrittenWholeWithItsUpdaterWhenAsked(@TempDir Path dir) throws Exception {
        ComputationGraph net = Digits.network(1);
        Path file = dir.resolve("sub/model.zip");
        AtomicFiles.writeModel(file, net, true);
        ComputationGraph back = ModelSerializer.restoreComputationGraph(file.toFile(), true);
        assertArrayEquals(net.params().toFloatVector(), back.params().toFloatVector());
        assertTrue(back.getUpdater().getStateViewArray() != null);
        assertEquals(List.of("model.zip"), files(dir.resolve("sub")));
        assertFalse(Files.exists(dir.resolve("model.zip")));
    }
}
