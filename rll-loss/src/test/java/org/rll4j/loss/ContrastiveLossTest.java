package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;

/** The contrastive loss on the shared engine: a brute-force reference, gradients, edge cases, the layer contract. */
class ContrastiveLossTest {

    private static final ContrastiveLossConfig NON_DEFAULT = ContrastiveLossConfig.builder().positiveMargin(0.3).negativeMargin(1.1).build();
    private static DataType defaultType;
    private static DataType defaultFloatType;

    @BeforeAll
    static void doublePrecision() {
        defaultType = Nd4j.dataType();
        defaultFloatType = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restorePrecision() {
        Nd4j.setDefaultDataTypes(defaultType, defaultFloatType);
    }

    /** Brute force from the formula: explicit sets, distances from coordinate differences. */
    static double[] reference(double[][] rawX, long[] labels, ContrastiveLossConfig c) {
        double[][] e = ReferenceRankedListLoss.normalize(rawX);
        double[] loss = new double[e.length];
        for (int i = 0; i < e.length; i++) {
            double pos = 0;
            double neg = 0;
            int np = 0;
            int nn = 0;
            for (int j = 0; j < e.length; j++) {
                double d = ReferenceRankedListLoss.distance(e[i], e[j]);
                if (j != i && labels[j] == labels[i]) {
                    np++;
                    pos += Math.max(0, d - c.positiveMargin());
                } else if (labels[j] != labels[i]) {
                    nn++;
                    neg += Math.max(0, c.negativeMargin() - d);
                }
            }
            loss[i] = (np > 0 ? pos / np : 0) + (nn > 0 ? neg / nn : 0);
        }
        return loss;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    static Stream<Arguments> batches() {
        double[] v = {0.3, -0.5, 0.8};
        return Stream.of(
                Arguments.of("random 6 x 3", EmbeddingFixtures.balanced(3, 6, 3, 8, 0.9).x(), EmbeddingFixtures.balanced(3, 6, 3, 8, 0.9).labels()),
                Arguments.of("random uneven", EmbeddingFixtures.withClassSizes(4, new int[] {5, 1, 3, 2}, 6, 0.8).x(),
                        EmbeddingFixtures.withClassSizes(4, new int[] {5, 1, 3, 2}, 6, 0.8).labels()),
                Arguments.of("identical embeddings, two classes", new double[][] {v, v, v, v}, new long[] {0, 0, 1, 1}),
                Arguments.of("a single-class batch", new double[][] {{1, 0, 0}, {-0.9, 0.1, 0}, {0.2, -1, 0}}, new long[] {7, 7, 7}),
                Arguments.of("every class a singleton", new double[][] {{1, 0, 0}, {0.9, 0.1, 0}, {0.2, 1, 0}}, new long[] {0, 1, 2}),
                Arguments.of("a batch of one", new double[][] {v}, new long[] {3}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("batches")
    void lossEqualsTheReferenceAndTheGradientIsFiniteDifferencesOfIt(String name, double[][] x, long[] labels) {
        for (ContrastiveLossConfig cfg : new ContrastiveLossConfig[] {ContrastiveLossConfig.defaults(), NON_DEFAULT}) {
            MetricLossFunction f = new MetricLossFunction(cfg);
            INDArray xs = Nd4j.createFromArray(x);
            INDArray ys = Nd4j.createFromArray(labels).castTo(DataType.DOUBLE).reshape(-1, 1);
            double[] perQuery = f.computeScoreArray(ys, xs, new ActivationL2Normalize(), null).toDoubleVector();
            double[] expected = reference(x, labels, cfg);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], perQuery[i], 1e-12, name + " L(" + i + ")");
            }
            double[][] grad = f.computeGradient(ys, xs, new ActivationL2Normalize(), null).toDoubleMatrix();
            double eps = 1e-6;
            for (int i = 0; i < x.length; i++) {
                for (int k = 0; k < x[i].length; k++) {
                    double[][] plus = copy(x);
                    double[][] minus = copy(x);
                    plus[i][k] += eps;
                    minus[i][k] -= eps;
                    double numeric = x.length * (mean(reference(plus, labels, cfg)) - mean(reference(minus, labels, cfg))) / (2 * eps);
                    assertTrue(Double.isFinite(grad[i][k]), "finite gradient");
                    assertEquals(numeric, grad[i][k], 1e-6 * Math.max(1, Math.abs(numeric)), name + " " + cfg + " dS/dx[" + i + "][" + k + "]");
                }
            }
        }
    }

    private static double[][] copy(double[][] x) {
        double[][] c = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            c[i] = x[i].clone();
        }
        return c;
    }

    @Test
    void dl4jGradientCheckPasses() {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.withClassSizes(11, new int[] {3, 3, 2, 3}, 5, 0.8);
        ComputationGraph net = TinyNetworks.mlp(5, 6, 3, MetricLossLayer.of(NON_DEFAULT), DataType.DOUBLE, 11, new NoOp());
        INDArray x = b.features(DataType.DOUBLE);
        INDArray y = b.labelColumn(DataType.DOUBLE);
        assertTrue(net.score(new DataSet(x, y)) > 0, "the batch must cost something");
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)));
    }

    @Test
    void fitLowersTheLossAndTheLayerOutputsUnitEmbeddings() {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(14, 6, 3, 8, 0.8);
        ComputationGraph net = TinyNetworks.mlp(8, 16, 4, MetricLossLayer.of(ContrastiveLossConfig.defaults()), DataType.FLOAT, 5, new Adam(1e-2));
        DataSet ds = new DataSet(b.features(DataType.FLOAT), b.labelColumn(DataType.FLOAT));
        double before = net.score(ds);
        for (int i = 0; i < 60; i++) {
            net.fit(ds);
        }
        assertTrue(net.score(ds) < 0.5 * before, "loss " + before + " -> " + net.score(ds));
        assertEquals(1.0, net.outputSingle(ds.getFeatures()).getRow(0).norm2Number().doubleValue(), 1e-6);
    }

    @Test
    void jsonAndModelSerializerRoundTripsKeepTheLoss(@TempDir Path dir) throws Exception {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(15, 5, 3, 6, 0.6);
        ComputationGraph net = TinyNetworks.mlp(6, 8, 4, MetricLossLayer.of(NON_DEFAULT), DataType.DOUBLE, 3, new NoOp());
        ComputationGraphConfiguration restoredConf = ComputationGraphConfiguration.fromJson(net.getConfiguration().toJson());
        MetricLossLayer layer = (MetricLossLayer) ((LayerVertex) restoredConf.getVertices().get("rll")).getLayerConf().getLayer();
        assertEquals(NON_DEFAULT, layer.getLossConfig());
        assertTrue(net.getConfiguration().toJson().contains("\"type\" : \"contrastive\""), "the JSON names the loss");
        DataSet ds = new DataSet(b.features(DataType.DOUBLE), b.labelColumn(DataType.DOUBLE));
        File file = dir.resolve("net.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(NON_DEFAULT, ((MetricLossLayer) restored.getLayer("rll").conf().getLayer()).getLossConfig());
        assertEquals(net.score(ds), restored.score(ds), 0);
    }

    @Test
    void invalidMarginsAndBadInputGetClearErrors() {
        IllegalArgumentException neg = assertThrows(IllegalArgumentException.class,
                () -> ContrastiveLossConfig.builder().positiveMargin(-0.1).build());
        assertEquals("positiveMargin (m_p) must be finite and >= 0, found -0.1", neg.getMessage());
        IllegalArgumentException order = assertThrows(IllegalArgumentException.class,
                () -> ContrastiveLossConfig.builder().positiveMargin(0.5).negativeMargin(0.5).build());
        assertEquals("negativeMargin (m_n) must be finite and > positiveMargin = 0.5, found 0.5", order.getMessage());
        ComputationGraph net = TinyNetworks.mlp(3, 4, 2, MetricLossLayer.of(ContrastiveLossConfig.defaults()), DataType.FLOAT, 2, new NoOp());
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3);
        x.putScalar(1, 2, Float.NaN);
        NonFiniteEmbeddingException e = assertThrows(NonFiniteEmbeddingException.class,
                () -> net.score(new DataSet(x, Nd4j.createFromArray(new float[] {0, 0, 1, 1}).reshape(-1, 1))));
        assertTrue(e.getMessage().startsWith("MetricLossLayer 'rll': Contrastive Loss: "), e.getMessage());
        IllegalArgumentException labels = assertThrows(IllegalArgumentException.class,
                () -> net.score(new DataSet(Nd4j.rand(DataType.FLOAT, 3, 3), Nd4j.createFromArray(new float[] {0, 1.5f, 1}).reshape(-1, 1))));
        assertTrue(labels.getMessage().contains("labels row 1 must be an integer class id, found 1.5"), labels.getMessage());
    }
}
