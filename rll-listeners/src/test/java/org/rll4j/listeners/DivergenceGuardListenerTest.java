package org.rll4j.listeners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.rll4j.loss.NonFiniteEmbeddingException;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.sampler.ClassBalancedDataSetIterator;
import org.rll4j.sampler.UciDigits;

class DivergenceGuardListenerTest {

    @Test
    void theLossBoundOfTheRankedListLossSeparatesDivergenceFromTraining() {
        // paper: alpha 1.2, m 0.4, lambda 1 -> a query's loss is at most (2 - 0.8) + 1.2 = 2.4; three heads: 7.2
        DivergenceGuardListener guard = DivergenceGuardListener.builder()
                .maxLoss(3 * RankedListLossConfig.paper().maxBatchMean()).build();
        assertEquals(7.2, guard.maxLoss(), 1e-12);
        assertNull(guard.problem(7.0));
        assertNull(guard.problem(700.0), "above the bound (regularisation) but not yet diverged");
        assertEquals("the loss is NaN", guard.problem(Double.NaN));
        assertEquals("the loss is Infinity", guard.problem(Double.POSITIVE_INFINITY));
        assertTrue(guard.problem(3e18).startsWith("the loss is 3.000e+18, far above the 7.200 the loss can reach"));
        ComputationGraph net = Digits.network(1);
        assertTrue(guard.checkpointProblem(net, 353.5).startsWith(
                "the mean loss since the last checkpoint, 353.5, is above the 7.200 the loss can reach"));
        assertNull(guard.checkpointProblem(net, 1.0));
        assertNull(guard.checkpointProblem(net, Double.NaN), "no step since the last checkpoint");
        net.params().putScalar(0, Double.NaN);
        assertEquals("a parameter is NaN or infinite", guard.checkpointProblem(net, 1.0));
    }

    /** A regression network on the digits' class ids: a loss that computes a NaN score instead of rejecting NaN inputs. */
    private static ComputationGraph regression() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(3).dataType(DataType.FLOAT).updater(new Adam(1e-3))
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(UciDigits.PIXELS))
                .addLayer("hidden", new DenseLayer.Builder().nOut(8).activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1)
                        .activation(Activation.IDENTITY).build(), "hidden")
                .setOutputs("out")
                .build());
        net.init();
        return net;
    }

    @Test
    void aNanLossStopsFitWithTheIterationAndWhatToTry() {
        ComputationGraph net = regression();
        ClassBalancedDataSetIterator train = Digits.batches(3).build();
        int[] batches = {0};
        train.setPreProcessor(ds -> {
            if (++batches[0] == 3) {
                ds.getFeatures().putScalar(0, 0, Float.NaN); // a corrupt example in the third batch
            }
        });
        net.setListeners(DivergenceGuardListener.builder().build());
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> net.fit(train, 2));
        assertEquals("training diverged at iteration 3: the loss is NaN. " + DivergenceGuardListener.DEFAULT_ADVICE,
                e.getMessage());
        assertEquals(3, e.iteration());
        assertEquals("the loss is NaN", e.problem());
        assertEquals(2, net.getIterationCount(), "fit stopped in the step it diverged, before DL4J counted it");
    }

    @Test
    void aLossFarAboveItsBoundStopsFitWithTheAdviceGiven() {
        ComputationGraph net = Digits.network(2);
        net.setListeners(DivergenceGuardListener.builder().maxLoss(1e-4).advice(() -> "Try anything else").build());
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> net.fit(Digits.batches(2).build(), 1));
        assertTrue(e.getMessage().startsWith("training diverged at iteration 1: the loss is "), e.getMessage());
        assertTrue(e.getMessage().endsWith(", far above the 0.0001000 the loss can reach (the weights are growing without "
                + "limit). Try anything else"), e.getMessage());
    }

    /** The Ranked List Loss layer rejects a NaN embedding itself, before the guard sees a score; a loop can say it alike. */
    @Test
    void aLossLayerThatRejectsNanEmbeddingsStopsFitFirstAndTheGuardSaysItAlike() {
        ComputationGraph net = Digits.network(3);
        ClassBalancedDataSetIterator train = Digits.batches(3).build();
        train.setPreProcessor(ds -> ds.getFeatures().putScalar(0, 0, Float.NaN));
        DivergenceGuardListener guard = DivergenceGuardListener.builder().build();
        net.setListeners(guard);
        NonFiniteEmbeddingException nan = assertThrows(NonFiniteEmbeddingException.class, () -> net.fit(train, 1));
        TrainingDivergedException e = guard.diverged(net.getIterationCount() + 1L, "the embedding became non-finite", nan);
        assertEquals("training diverged at iteration 1: the embedding became non-finite. " + DivergenceGuardListener.DEFAULT_ADVICE,
                e.getMessage());
    }

    @Test
    void aBoundMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DivergenceGuardListener.builder().maxLoss(0).build());
        assertEquals("maxLoss must be > 0 (Infinity for a loss without a bound), found 0.0", e.getMessage());
    }
}
