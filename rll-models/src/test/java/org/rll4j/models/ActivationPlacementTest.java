package org.rll4j.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rll4j.loss.RankedListLossConfig;

/**
 * DL4J 1.0.0-M2.1's batch-normalisation layer ignores its {@code activation(...)} setting (its
 * {@code activate} returns the normalised values as they are), so every ReLU after a batch norm must
 * be its own layer. These tests fail if a ReLU stage of our networks lets a negative value through.
 */
class ActivationPlacementTest {

    @Test
    void smallCnnStagesAreRectified() {
        ComputationGraph net = EmbeddingModel.builder().backbone(EmbeddingModelTest.CNN)
                .head(EmbeddingHead.global(8, RankedListLossConfig.paper())).seed(3).build().network();
        Map<String, INDArray> acts = net.feedForward(EmbeddingModelTest.batch(2).getFeatures(), true);
        for (String stage : new String[] {"relu_1", "relu_2", "relu_3", "pool_1", "pool_2"}) {
            assertTrue(acts.containsKey(stage), "missing stage " + stage + " in " + acts.keySet());
            double min = acts.get(stage).minNumber().doubleValue();
            assertTrue(min >= 0, stage + " has negative activations (min " + min + "): the ReLU is not applied");
        }
    }

    @Test
    void pooledConvHeadIsRectified() {
        ComputationGraph net = EmbeddingModel.builder().backbone(EmbeddingModelTest.CNN).multiLevel(true)
                .head(EmbeddingHead.global(8, RankedListLossConfig.paper())).seed(3).build().network();
        Map<String, INDArray> acts = net.feedForward(EmbeddingModelTest.batch(2).getFeatures(), true);
        for (String layer : new String[] {"low_conv_relu", "low_fc_relu", "mid_fc_relu"}) {
            assertTrue(acts.containsKey(layer), "missing layer " + layer + " in " + acts.keySet());
            double min = acts.get(layer).minNumber().doubleValue();
            assertTrue(min >= 0, layer + " has negative activations (min " + min + "): the ReLU is not applied");
        }
    }
}
