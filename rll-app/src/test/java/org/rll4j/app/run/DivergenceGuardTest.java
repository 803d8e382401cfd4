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

class DivergenceGuardTest {

    @Test
    void theLossBoundOfTheRankedListLossSeparatesDivergenceFromTraining() {
        // paper: alpha 1.2, m 0.4, lambda 1 -> a query's loss is at most (2 - 0.8) + 1.2 = 2.4; three heads: 7.2
        DivergenceGuard guard = new DivergenceGuard(org.rll4j.loss.RankedListLossConfig.paper().maxBatchMean(), 3);
        assertEquals(7.2, guard.bound(), 1e-12);
        assertEquals(null, guard.check(7.0));
        assertEquals(null, guard.check(700.0), "above the bound (regularisation) but not yet diverged");
        assertEquals("the loss is NaN", guard.check(Double.NaN));
        assertEquals("the loss is Infinity", guard.check(Double.POSITIVE_INFINITY));
        assertTrue(guard.check(3e18).startsWith("the loss is 3.000e+18, far above the 7.200 the loss can reach"));
        assertEquals(353.5, guard.recentMean(), 1e-9, "the healthy scores only");
        ComputationGraph net = TinyGraph.net();
        assertTrue(guard.checkpointProblem(net).startsWith("the mean loss since the last checkpoint, 353.5, is above the 7.200 the loss can reach"));
        assertEquals(Double.NaN, guard.recentMean(), "a new window starts");
        guard.check(1.0);
        assertEquals(null, guard.checkpointProblem(net));
        net.params().putScalar(0, Double.NaN);
        guard.check(1.0);
        assertEquals("a parameter is NaN or infinite", guard.checkpointProblem(net));
    }

    /** A two-layer graph, enough to have parameters. */
    private static final class TinyGraph {
        static ComputationGraph net() {
            ComputationGraph g = new ComputationGraph(new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().graphBuilder()
                    .addInputs("in").setInputTypes(org.deeplearning4j.nn.conf.inputs.InputType.feedForward(3))
                    .addLayer("d", new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nOut(2).build(), "in")
                    .addLayer("rll", org.rll4j.loss.RankedListLossLayer.of(org.rll4j.loss.RankedListLossConfig.paper()), "d")
                    .setOutputs("rll").build());
            g.init();
            return g;
        }
    }

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
