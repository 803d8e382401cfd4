package org.rll4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rll4j.app.config.ConfigLoader;
import org.rll4j.app.config.RunConfig;
import org.rll4j.app.run.Checkpoint;
import org.rll4j.app.run.MetricsLog;
import org.rll4j.app.run.Trainer;

/**
 * An error raised inside DL4J's fit by a listener after the step's update (here: while the evaluation of iteration 2 is
 * recorded, before that iteration's checkpoint, as a full disk would) stops the run with a checkpoint of that whole step,
 * counted as DL4J would have counted it; resumed, the run ends with the weights of an uninterrupted one.
 */
@Tag("training")
class ErrorInAListenerTest {

    @Test
    void aRunStoppedByAnErrorAfterAStepKeepsThatStepAndResumesToTheUninterruptedResult(@TempDir Path dir) throws Exception {
        Path data = TinyEmoji.copy(dir.resolve("emoji40"), 40);
        List<String> settings = new ArrayList<>(List.of("dataset.root=" + data, "model.widths=[8,16,16]",
                "model.embeddingDim=16", "sampler.classesPerBatch=8", "training.epochs=2", "evaluation.every=2",
                "training.checkpointEvery=2", "evaluation.baselines=false", "ui.enabled=false", "seed=5"));
        RunConfig config = ConfigLoader.load(null, settings);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Trainer.Result whole = new Trainer(config, dir.resolve("whole"), quiet).train("# test\n");

        Path run = dir.resolve("failed");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer failing = new Trainer(config, run, new PrintStream(log, true)).listener(new Trainer.Listener() {
            @Override
            public void evaluated(MetricsLog.Evaluation e) {
                throw new UncheckedIOException(new IOException("No space left on device"));
            }
        });
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> failing.train("# test\n"));
        assertEquals("No space left on device", e.getCause().getMessage());
        assertTrue(log.toString().contains("the run stopped on an error at iteration 2; a checkpoint of that iteration was "
                + "written: fix the cause below and continue with train --resume " + run), log.toString());
        assertEquals(2, Checkpoint.read(run).iteration());

        Trainer.Result resumed = Trainer.resume(run, quiet, List.of());
        assertEquals(whole.iterations(), resumed.iterations());
        assertArrayEquals(ModelSerializer.restoreComputationGraph(dir.resolve("whole/model.zip").toFile(), false).params()
                .toFloatVector(), ModelSerializer.restoreComputationGraph(run.resolve("model.zip").toFile(), false).params()
                .toFloatVector(), "the same final weights");
    }
}
