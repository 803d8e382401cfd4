package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** The layer contract, for both implementations: {@link RankedListLossLayer} and {@link SameDiffRankedListLossLayer}. */
class RankedListLossLayerTest {

    private static final RankedListLossConfig NON_DEFAULT = RankedListLossConfig.builder()
            .alpha(1.3).margin(0.25).tn(7).tp(2.5).lambda(0.75)
            .weightGradient(RankedListLossConfig.WeightGradient.FLOW).build();

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void scoreIsTheBatchMeanOfTheReference(RankedListLossImplementation impl) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(11, 6, 3, 5, 0.6);
        ComputationGraph net = TinyNetworks.lossOnly(5, NON_DEFAULT, DataType.DOUBLE, impl);
        double score = net.score(new DataSet(b.features(DataType.DOUBLE), b.labelColumn(DataType.DOUBLE)));
        assertEquals(ReferenceRankedListLoss.mean(b.x(), b.labels(), NON_DEFAULT), score, 1e-12);
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void scoreInAFloatNetworkMatchesTheReference(RankedListLossImplementation impl) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(12, 20, 3, 16, 0.5).roundedToFloat();
        ComputationGraph net = TinyNetworks.lossOnly(16, RankedListLossConfig.paper(), DataType.FLOAT, impl);
        double score = net.score(new DataSet(b.features(DataType.FLOAT), b.labelColumn(DataType.FLOAT)));
        double expected = ReferenceRankedListLoss.mean(b.x(), b.labels(), RankedListLossConfig.paper());
        assertEquals(expected, score, 1e-5 * expected);
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void scoreExamplesGivesThePerQueryLosses(RankedListLossImplementation impl) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(16, 5, 3, 4, 0.6);
        ComputationGraph net = TinyNetworks.lossOnly(4, NON_DEFAULT, DataType.DOUBLE, impl);
        INDArray perQuery = net.scoreExamples(new DataSet(b.features(DataType.DOUBLE), b.labelColumn(DataType.DOUBLE)), false);
        double[] expected = ReferenceRankedListLoss.perQuery(b.x(), b.labels(), NON_DEFAULT);
        assertEquals(expected.length, perQuery.length());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], perQuery.getDouble(i), 1e-12, "L(" + i + ")");
        }
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void worksInAMultiLayerNetworkToo(RankedListLossImplementation impl) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(17, 5, 3, 6, 0.8);
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(3).dataType(DataType.DOUBLE).updater(new org.nd4j.linalg.learning.config.Adam(1e-2))
                .list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(4).activation(Activation.IDENTITY).build())
                .layer(impl.layer(RankedListLossConfig.paper()))
                .setInputType(InputType.feedForward(6))
                .build());
        net.init();
        DataSet ds = new DataSet(b.features(DataType.DOUBLE), b.labelColumn(DataType.DOUBLE));
        double[][] embedded = net.feedForward(ds.getFeatures(), false).get(1).toDoubleMatrix();
        double expected = ReferenceRankedListLoss.mean(embedded, b.labels(), RankedListLossConfig.paper());
        assertEquals(expected, net.score(ds), 1e-12);
        double before = net.score(ds);
        for (int i = 0; i < 30; i++) {
            net.fit(ds);
        }
        assertTrue(net.score(ds) < before, "MultiLayerNetwork.fit must lower the loss");
        assertEquals(1.0, net.output(ds.getFeatures()).getRow(0).norm2Number().doubleValue(), 1e-12);
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void oneHotLabelsGiveTheSameScoreAsClassIds(RankedListLossImplementation impl) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(13, 4, 3, 3, 0.7);
        ComputationGraph net = TinyNetworks.lossOnly(3, RankedListLossConfig.paper(), DataType.DOUBLE, impl);
        double ids = net.score(new DataSet(b.features(DataType.DOUBLE), b.labelColumn(DataType.DOUBLE)));
        double oneHot = net.score(new DataSet(b.features(DataType.DOUBLE), b.oneHot(4, DataType.DOUBLE)));
        assertTrue(ids > 0);
        assertEquals(ids, oneHot, 0);
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void outputIsTheL2NormalisedEmbedding(RankedListLossImplementation impl) {
        ComputationGraph net = TinyNetworks.mlp(6, 8, 4, RankedListLossConfig.paper(), DataType.FLOAT, 3, new org.nd4j.linalg.learning.config.NoOp(), impl);
        INDArray x = Nd4j.rand(DataType.FLOAT, 10, 6);
        INDArray out = net.outputSingle(x);
        INDArray raw = net.feedForward(x, false).get("emb");
        assertEquals(10, out.size(0));
        assertEquals(4, out.size(1));
        INDArray norms = out.norm2(1);
        for (int i = 0; i < 10; i++) {
            assertEquals(1.0, norms.getDouble(i), 1e-6);
        }
        INDArray expected = raw.divColumnVector(raw.norm2(1).reshape(-1, 1));
        assertTrue(expected.equalsWithEps(out, 1e-6));
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void fitLowersTheLossOnSeparableClusters(RankedListLossImplementation impl) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(14, 6, 3, 8, 0.8);
        ComputationGraph net = TinyNetworks.mlp(8, 16, 4, RankedListLossConfig.paper(), DataType.FLOAT, 5,
                new org.nd4j.linalg.learning.config.Adam(1e-2), impl);
        DataSet ds = new DataSet(b.features(DataType.FLOAT), b.labelColumn(DataType.FLOAT));
        double before = net.score(ds);
        for (int i = 0; i < 60; i++) {
            net.fit(ds);
        }
        double after = net.score(ds);
        assertTrue(after < 0.5 * before, "loss " + before + " -> " + after);
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void jsonRoundTripKeepsEveryHyperParameter(RankedListLossImplementation impl) {
        ComputationGraph net = TinyNetworks.mlp(6, 8, 4, NON_DEFAULT, DataType.FLOAT, 3, new org.nd4j.linalg.learning.config.NoOp(), impl);
        String json = net.getConfiguration().toJson();
        ComputationGraphConfiguration restored = ComputationGraphConfiguration.fromJson(json);
        LayerVertex vertex = (LayerVertex) restored.getVertices().get("rll");
        org.deeplearning4j.nn.conf.layers.Layer layer = vertex.getLayerConf().getLayer();
        assertEquals(impl.layer(NON_DEFAULT).getClass(), layer.getClass());
        assertEquals(NON_DEFAULT, RankedListLossImplementation.configOf(layer));
        if (layer instanceof RankedListLossLayer kernel) {
            assertEquals(4, kernel.getNIn());
        }
        assertEquals(net.getConfiguration(), restored);
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void modelSerializerRoundTripKeepsHyperParametersAndScores(RankedListLossImplementation impl, @TempDir Path dir) throws Exception {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(15, 5, 3, 6, 0.6);
        ComputationGraph net = TinyNetworks.mlp(6, 8, 4, NON_DEFAULT, DataType.DOUBLE, 3, new org.nd4j.linalg.learning.config.NoOp(), impl);
        DataSet ds = new DataSet(b.features(DataType.DOUBLE), b.labelColumn(DataType.DOUBLE));
        File file = dir.resolve("net.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(NON_DEFAULT, RankedListLossImplementation.configOf(restored.getLayer("rll").conf().getLayer()));
        assertEquals(net.score(ds), restored.score(ds), 0);
        assertEquals(net.outputSingle(ds.getFeatures()), restored.outputSingle(ds.getFeatures()));
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void aConvolutionalInputIsFlattenedAsByDl4jsLossLayers(RankedListLossImplementation impl) {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(4, 4, 2))
                .addLayer("head", impl.layer(RankedListLossConfig.paper()), "in")
                .setOutputs("head")
                .build());
        net.init();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 6, 2, 4, 4);
        INDArray out = net.outputSingle(x);
        assertEquals(6, out.size(0));
        assertEquals(2 * 4 * 4, out.size(1));
        double[][] flat = x.reshape(6, 32).toDoubleMatrix();
        INDArray y = Nd4j.createFromArray(new double[] {0, 0, 1, 1, 2, 2}).reshape(-1, 1);
        assertEquals(ReferenceRankedListLoss.mean(flat, new long[] {0, 0, 1, 1, 2, 2}, RankedListLossConfig.paper()),
                net.score(new DataSet(x, y)), 1e-10);
    }
}
