package org.rll4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.TestDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.rll4j.sampler.LabelEncoding;

/**
 * {@link RetrievalEvaluation} as DL4J uses it: {@code ComputationGraph.doEvaluation} with workspaces on (DL4J's
 * default), where each batch's output lives in a workspace that the next batch reuses. The evaluation must hold
 * what the network output, batch for batch: the same as evaluating {@code outputSingle} of each batch by hand.
 * (The Ranked List Loss layer's own test of this is in rll-loss, whose tests depend on this module.)
 */
class RetrievalEvaluationDl4jTest {

    private static final int BATCH = 16;
    private static final int EMBEDDING = 8;

    /** {@code in(16) -> dense(tanh, 32) -> dense(identity, 8) -> loss layer (identity)}: its output is the embedding. */
    private static ComputationGraph network() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(42).dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(RetrievalEvaluationTest.DIM))
                .addLayer("hidden", new DenseLayer.Builder().nOut(32).activation(Activation.TANH).build(), "in")
                .addLayer("emb", new DenseLayer.Builder().nOut(EMBEDDING).activation(Activation.IDENTITY).build(), "hidden")
                .addLayer("out", new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .build(), "emb")
                .setOutputs("out")
                .build());
        net.init();
        assertSame(WorkspaceMode.ENABLED, net.getConfiguration().getInferenceWorkspaceMode(), "workspaces on");
        return net;
    }

    /** Batches of 16 in row order (ND4J's own test iterator: one DataSet split per example and merged by 16). */
    private static DataSetIterator batches(INDArray features, INDArray labels, INDArray labelsMask) {
        return new TestDataSetIterator(new DataSet(features, labels, null, labelsMask), BATCH);
    }

    /** Each batch through {@code outputSingle}, by hand, stacked in order. */
    private static INDArray byHand(ComputationGraph net, DataSetIterator batches) {
        batches.reset();
        List<INDArray> outputs = new ArrayList<>();
        while (batches.hasNext()) {
            outputs.add(net.outputSingle(batches.next().getFeatures()).dup());
        }
        return Nd4j.vstack(outputs.toArray(new INDArray[0]));
    }

    @Test
    void doEvaluationWithWorkspacesEqualsEvaluatingEachBatchOutputByHand() {
        ComputationGraph net = network();
        INDArray x = RetrievalEvaluationTest.embeddings(21);
        DataSetIterator batches = batches(x, RetrievalEvaluationTest.idColumn(RetrievalEvaluationTest.labels()), null);
        RetrievalEvaluation retrieval = new RetrievalEvaluation(RetrievalEvaluationTest.ALL);
        RetrievalEvaluation[] returned = net.doEvaluation(batches, retrieval);
        assertSame(retrieval, returned[0]);
        assertEquals(RetrievalEvaluationTest.N, retrieval.size());
        RetrievalReport expected = RetrievalEvaluationTest.ALL.evaluate(byHand(net, batches), RetrievalEvaluationTest.labels());
        RetrievalEvaluationTest.assertSameMetrics(expected, retrieval);
        assertEquals(expected.mapAtR(), retrieval.getValue(RetrievalMetric.MAP_AT_R), 0);

        // DL4J's other entry point, and one-hot labels
        INDArray oneHot = LabelEncoding.ONE_HOT.encode(Nd4j.createFromArray(RetrievalEvaluationTest.labels()),
                RetrievalEvaluationTest.CLASSES, DataType.FLOAT);
        RetrievalEvaluation fromOneHot = new RetrievalEvaluation(RetrievalEvaluationTest.ALL);
        net.doEvaluation(batches(x, oneHot, null), fromOneHot);
        assertEquals(retrieval, fromOneHot);
    }

    @Test
    void doEvaluationLeavesOutTheRowsThatALabelMaskHides() {
        ComputationGraph net = network();
        INDArray x = RetrievalEvaluationTest.embeddings(22);
        int[] labels = RetrievalEvaluationTest.labels();
        INDArray mask = Nd4j.ones(DataType.FLOAT, RetrievalEvaluationTest.N, 1);
        List<Integer> keptRows = new ArrayList<>();
        for (int i = 0; i < RetrievalEvaluationTest.N; i++) {
            if (i % 4 == 1) {
                mask.putScalar(i, 0, 0);
            } else {
                keptRows.add(i);
            }
        }
        DataSetIterator batches = batches(x, RetrievalEvaluationTest.idColumn(labels), mask);
        RetrievalEvaluation retrieval = new RetrievalEvaluation(RetrievalEvaluationTest.ALL);
        net.doEvaluation(batches, retrieval);
        assertEquals(keptRows.size(), retrieval.size());

        INDArray all = byHand(net, batches);
        int[] rows = keptRows.stream().mapToInt(Integer::intValue).toArray();
        int[] keptLabels = keptRows.stream().mapToInt(i -> labels[i]).toArray();
        RetrievalEvaluationTest.assertSameMetrics(
                RetrievalEvaluationTest.ALL.evaluate(Nd4j.pullRows(all, 1, rows), keptLabels), retrieval);
    }
}
