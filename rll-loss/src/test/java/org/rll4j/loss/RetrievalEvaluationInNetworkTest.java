package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.TestDataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.TestMultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.weightinit.impl.XavierInitScheme;
import org.rll4j.eval.RetrievalEvaluation;
import org.rll4j.eval.RetrievalEvaluator;
import org.rll4j.eval.RetrievalMetric;
import org.rll4j.eval.RetrievalReport;
import org.rll4j.sampler.ClassBalancedDataSetIterator;
import org.rll4j.sampler.UciDigits;

/**
 * rll-eval's {@link RetrievalEvaluation} on networks that end in our loss layers, through DL4J's and SameDiff's own
 * evaluation calls (workspaces on, DL4J's default): each must hold exactly what the network outputs for each batch,
 * so its metrics equal {@link RetrievalEvaluator} on the batch outputs computed by hand (tolerance 0). Data: the
 * UCI digits 1, 3, 5, 7, 9 (906 images) in sequential batches of 100.
 */
class RetrievalEvaluationInNetworkTest {

    private static final RetrievalEvaluator EVALUATOR = RetrievalEvaluator.builder().recallAt(1, 2, 4, 8)
            .metrics(RetrievalMetric.values()).seed(3).build();

    private static final UciDigits.Data TEST = UciDigits.load().ofClasses(1, 3, 5, 7, 9);

    private static INDArray testIds() {
        return Nd4j.createFromArray(TEST.labels()).castTo(DataType.FLOAT).reshape(-1, 1);
    }

    /** The test digits in batches of 100, in order. */
    private static DataSetIterator testBatches() {
        return new TestDataSetIterator(new DataSet(TEST.features(), testIds()), 100);
    }

    /** Each batch's output {@code i} by hand, stacked in order. */
    private static INDArray byHand(ComputationGraph net, DataSetIterator batches, int output) {
        batches.reset();
        List<INDArray> outputs = new ArrayList<>();
        while (batches.hasNext()) {
            outputs.add(net.output(batches.next().getFeatures())[output].dup());
        }
        return Nd4j.vstack(outputs.toArray(new INDArray[0]));
    }

    private static void assertSameMetrics(RetrievalReport expected, RetrievalEvaluation actual) {
        assertEquals(TEST.size(), actual.size());
        assertEquals(expected.values(), actual.report().values());
    }

    @Test
    void doEvaluationOnTheRankedListLossLayerEqualsTheBatchOutputsByHand() {
        ComputationGraph net = TinyNetworks.mlp(64, 32, 16, RankedListLossConfig.paper(), DataType.FLOAT, 5, new NoOp());
        DataSetIterator batches = testBatches();
        RetrievalEvaluation retrieval = new RetrievalEvaluation(EVALUATOR);
        net.doEvaluation(batches, retrieval);
        INDArray outputs = byHand(net, batches, 0);
        assertEquals(1.0, outputs.norm2(1).minNumber().doubleValue(), 1e-5, "the layer outputs the normalised embedding");
        assertSameMetrics(EVALUATOR.evaluate(outputs, TEST.labels()), retrieval);
    }

    /**
     * Two heads on one network, as RLL-(L,M,H) has three: {@code evaluate(iterator, Map)} evaluates each output
     * with its own evaluations; {@code doEvaluation} evaluates output 0 alone.
     */
    @Test
    void eachHeadOfAMultiOutputGraphIsEvaluatedByOutputIndex() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(9).dataType(DataType.FLOAT).updater(new NoOp()).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(64))
                .addLayer("hidden", new DenseLayer.Builder().nOut(32).activation(Activation.TANH).build(), "in")
                .addLayer("low_emb", new DenseLayer.Builder().nOut(8).activation(Activation.IDENTITY).build(), "hidden")
                .addLayer("high_emb", new DenseLayer.Builder().nOut(12).activation(Activation.IDENTITY).build(), "hidden")
                .addLayer("low_rll", RankedListLossLayer.of(RankedListLossConfig.paper()), "low_emb")
                .addLayer("high_rll", RankedListLossLayer.of(RankedListLossConfig.paper()), "high_emb")
                .setOutputs("low_rll", "high_rll")
                .build());
        net.init();
        DataSetIterator batches = testBatches();
        List<MultiDataSet> perHead = new ArrayList<>(); // the labels at both outputs, as rll-models' MultiHeadIterator gives them
        batches.reset();
        while (batches.hasNext()) {
            DataSet b = batches.next();
            perHead.add(new MultiDataSet(new INDArray[] {b.getFeatures()}, new INDArray[] {b.getLabels(), b.getLabels()}));
        }
        RetrievalEvaluation low = new RetrievalEvaluation(EVALUATOR);
        RetrievalEvaluation high = low.newInstance();
        net.evaluate(new TestMultiDataSetIterator(1, perHead.toArray(new MultiDataSet[0])),
                Map.of(0, new RetrievalEvaluation[] {low}, 1, new RetrievalEvaluation[] {high}));
        assertSameMetrics(EVALUATOR.evaluate(byHand(net, batches, 0), TEST.labels()), low);
        assertSameMetrics(EVALUATOR.evaluate(byHand(net, batches, 1), TEST.labels()), high);
        assertNotEquals(low.report().values(), high.report().values());

        RetrievalEvaluation first = new RetrievalEvaluation(EVALUATOR);
        net.doEvaluation(new TestMultiDataSetIterator(1, perHead.toArray(new MultiDataSet[0])), first);
        assertEquals(low, first, "doEvaluation evaluates output 0 only");
    }

    @Test
    void sameDiffEvaluateOnTheLossEmbeddingEqualsTheBatchOutputsByHand() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 64);
        SDVariable labels = sd.placeHolder("labels", DataType.FLOAT, -1, 1);
        SDVariable w = sd.var("w", new XavierInitScheme('c', 64, 16), DataType.FLOAT, 64, 16);
        SameDiffRankedListLoss.Outputs rll = SameDiffRankedListLoss.add(sd, x.mmul(w), labels, RankedListLossConfig.paper());
        sd.setTrainingConfig(TrainingConfig.builder().updater(new Adam(1e-3))
                .dataSetFeatureMapping("x").dataSetLabelMapping("labels").build());
        DataSetIterator batches = testBatches();
        RetrievalEvaluation retrieval = new RetrievalEvaluation(EVALUATOR);
        sd.evaluate(batches, rll.embedding().name(), retrieval);
        batches.reset();
        List<INDArray> outputs = new ArrayList<>();
        while (batches.hasNext()) {
            outputs.add(sd.outputSingle(Map.of("x", batches.next().getFeatures()), rll.embedding().name()).dup());
        }
        assertSameMetrics(EVALUATOR.evaluate(Nd4j.vstack(outputs.toArray(new INDArray[0])), TEST.labels()), retrieval);
    }

    @Test
    void theReadmeExampleEvaluatesBeforeTrainingAndEveryEpochThroughTheListener() {
        UciDigits.Data train = UciDigits.load().ofClasses(0, 2, 4, 6, 8);
        ComputationGraph net = TinyNetworks.mlp(64, 64, 16, RankedListLossConfig.paper(), DataType.FLOAT, 7, new Adam(1e-3));
        DataSetIterator trainIterator = ClassBalancedDataSetIterator.builder()
                .features(train.features()).labels(Nd4j.createFromArray(train.labels()).reshape(-1, 1))
                .classesPerBatch(5).samplesPerClass(12).seed(7).build();
        DataSetIterator testIterator = testBatches();
        INDArray untrained = byHand(net, testIterator, 0);
        RetrievalEvaluationReadmeExample.Result r = RetrievalEvaluationReadmeExample.run(net, trainIterator, testIterator);

        RetrievalReport before = RetrievalEvaluator.builder().recallAt(1, 2, 4, 8).nmi(true).seed(42).build()
                .evaluate(untrained, TEST.labels());
        assertEquals(before.recallAt(1), r.r1(), 0);
        assertEquals(before.mapAtR(), r.mapAtR(), 0);
        assertTrue(r.json().contains("\"nmiNormalization\" : \"ARITHMETIC\""), r.json().substring(0, 400));
        // the listener reset the evaluation before each epoch's evaluation: it holds the trained network's test set once
        RetrievalReport after = r.afterTraining().evaluator().evaluate(byHand(net, testIterator, 0), TEST.labels());
        assertSameMetrics(after, r.afterTraining());
        assertNotEquals(before.mapAtR(), after.mapAtR(), "the network trained between the two evaluations");
        assertTrue(r.stats().contains("NMI (arithmetic)") && r.stats().contains("(H(Y) + H(C)) / 2"), r.stats());
    }

    @Test
    void theReadmeShowsTheExampleThatTheTestsRun() throws Exception {
        String readme = Files.readString(Path.of(System.getProperty("user.dir")).getParent().resolve("README.md"),
                StandardCharsets.UTF_8);
        String source = Files.readString(Path.of("src/test/java/org/rll4j/loss/RetrievalEvaluationReadmeExample.java"),
                StandardCharsets.UTF_8);
        String example = source.substring(source.indexOf("// README:begin\n") + "// README:begin\n".length(),
                source.indexOf("        // README:end"));
        String dedented = example.lines().map(l -> l.startsWith("        ") ? l.substring(8) : l)
                .collect(Collectors.joining("\n", "", "\n"));
        assertTrue(readme.contains(dedented),
                "README.md must contain the example of RetrievalEvaluationReadmeExample verbatim (dedented by 8):\n" + dedented);
    }
}
