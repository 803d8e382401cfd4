package org.rll4j.app.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rll4j.app.config.ConfigLoader;
import org.rll4j.app.config.RunConfig;
import org.rll4j.listeners.TrainingDivergedException;

/**
 * A run that diverges stops with the guard's message, the app's advice and exit code 4. The guard's own rules
 * (the loss bound, checkpoint refusal) are tested with it in rll-listeners' DivergenceGuardListenerTest.
 */
class DivergenceGuardTest {

    @Test
    void aNonFiniteEmbeddingStopsTrainingWithAdvice(@TempDir Path dir) throws Exception {
        RunConfig config = ConfigLoader.load(null, List.of("dataset.root=../datasets/emoji32/images", "model.widths=[4,4,4]",
                "model.embeddingDim=4", "model.multiLevel=false", "evaluation.baselines=false", "training.epochs=1", "ui.enabled=false"));
        Trainer trainer = new Trainer(config, dir.resolve("run"), new PrintStream(new ByteArrayOutputStream()))
                .listener(new Trainer.Listener() {
                    @Override
                    public void training(ComputationGraph network) {
                        network.getLayer("embedding").getParam("W").putScalar(0, 0, Float.NaN);
                    }
                });
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> trainer.train("# test\n"));
        assertTrue(e.getMessage().startsWith("training diverged at iteration 1: the embedding became non-finite"), e.getMessage());
        assertTrue(e.getMessage().contains("Try a smaller optimizer.learningRate (now 0.002)"), e.getMessage());
        assertTrue(e.getMessage().endsWith("no checkpoint was written before it (start again with a smaller learning rate)"),
                e.getMessage());
        assertTrue(!java.nio.file.Files.exists(dir.resolve("run")), "a start that fails before its first checkpoint leaves nothing");
        assertEquals(4, org.rll4j.app.Main.exitCode(e));
    }
}
