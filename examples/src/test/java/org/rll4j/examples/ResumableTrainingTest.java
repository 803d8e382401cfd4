package org.rll4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResumableTrainingTest {

    @Test
    void aRunStoppedAfterTwoEpochsAndRunAgainEndsWithTheUninterruptedWeights(@TempDir Path dir) throws Exception {
        ComputationGraph whole = ResumableTraining.run(dir.resolve("whole"), 4);
        ResumableTraining.run(dir.resolve("twice"), 2);                      // "stopped" after two epochs
        ComputationGraph resumed = ResumableTraining.run(dir.resolve("twice"), 4);
        assertEquals(whole.params(), resumed.params(), "weights after resuming");
        assertEquals(whole.getUpdater().getStateViewArray(), resumed.getUpdater().getStateViewArray(), "Adam's state");
        assertTrue(Files.size(dir.resolve("twice/best.zip")) > 0, "the best model was kept");
        assertTrue(Files.size(dir.resolve("twice/stats.dl4j")) > 0, "the stats the UI serves were written");
    }
}
