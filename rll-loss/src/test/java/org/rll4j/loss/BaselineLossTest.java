package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
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

/**
 * The baseline losses on the shared engine, each against its brute-force reference ({@link ReferenceBaselineLosses})
 * and finite differences of it, DL4J's gradient check, degenerate batches, training, round trips and errors.
 */
@ExtendWith(DoublePrecision.class)
class BaselineLossTest {

    static final MetricLossConfig[] CONFIGS = {
        ContrastiveLossConfig.defaults(),
        ContrastiveLossConfig.builder().positiveMargin(0.3).negativeMargin(1.1).build(),
        TripletLossConfig.batchHard(),
        TripletLossConfig.builder().mining(TripletLossConfig.Mining.SEMI_HARD).margin(0.3).build(),
        LiftedStructureLossConfig.defaults(),
        LiftedStructureLossConfig.withMargin(0.5),
        NPairLossConfig.defaults(),
        NPairLossConfig.withL2Regularization(0),
        NPairLossConfig.withL2Regularization(0.3),
        MultiSimilarityLossConfig.defaults(),
        MultiSimilarityLossConfig.builder().alpha(3).beta(20).lambda(0.3).epsilon(0.2).build(),
    };

    record Batch(String name, double[][] x, long[] y, boolean smooth) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Batch> batches() {
        double[] v = {0.3, -0.5, 0.8};
        EmbeddingFixtures.Batch even = EmbeddingFixtures.balanced(3, 6, 3, 8, 0.9);
        EmbeddingFixtures.Batch uneven = EmbeddingFixtures.withClassSizes(4, new int[] {5, 1, 3, 2}, 6, 0.8);
        // a near copy (raw distance ~ 0.005, rows of norm 3-8): a close pair of the engine, also for the raw-row losses
        EmbeddingFixtures.Batch near = even.withNearCopy(1, 0, even.labels()[0], 1e-3, 1, 5);
        return List.of(
                new Batch("random 6 x 3", even.x(), even.labels(), true),
                new Batch("a near copy", near.x(), near.labels(), true),
                new Batch("random uneven", uneven.x(), uneven.labels(), true),
                new Batch("identical embeddings, two classes", new double[][] {v, v, v, v}, new long[] {0, 0, 1, 1}, false),
                new Batch("a single-class batch", new double[][] {{1, 0, 0}, {-0.9, 0.1, 0}, {0.2, -1, 0}}, new long[] {7, 7, 7}, false),
                new Batch("every class a singleton", new double[][] {{1, 0, 0}, {0.9, 0.1, 0}, {0.2, 1, 0}}, new long[] {0, 1, 2}, false),
                new Batch("a batch of one", new double[][] {v}, new long[] {3}, false));
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (MetricLossConfig c : CONFIGS) {
            for (Batch b : batches()) {
                out.add(Arguments.of(c, b));
            }
        }
        return out.stream();
    }

    static Stream<Arguments> configs() {
        return Stream.of(CONFIGS).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void lossEqualsTheReferenceAndTheGradientIsItsDerivative(MetricLossConfig cfg, Batch batch) {
        MetricLossFunction f = new MetricLossFunction(cfg);
        INDArray xs = Nd4j.createFromArray(batch.x());
        INDArray ys = Nd4j.createFromArray(batch.y()).castTo(DataType.DOUBLE).reshape(-1, 1);
        double[] perQuery = f.computeScoreArray(ys, xs, new ActivationL2Normalize(), null).toDoubleVector();
        double[] expected = ReferenceBaselineLosses.perQuery(cfg, batch.x(), batch.y());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], perQuery[i], 1e-12 * Math.max(1, Math.abs(expected[i])), "L(" + i + ")");
        }
        double[][] grad = f.computeGradient(ys, xs, new ActivationL2Normalize(), null).toDoubleMatrix();
        for (double[] row : grad) {
            for (double g : row) {
                assertTrue(Double.isFinite(g), "finite gradient");
            }
        }
        if (!batch.smooth()) {
            return;   // ties (identical embeddings) or empty sets: the value is checked, the derivative need not exist
        }
        double sum = 0;
        for (double v : expected) {
            sum += v;
        }
        assertTrue(sum > 0, "the random batch must cost something, or the gradient check is empty");
        double eps = 1e-6;
        for (int i = 0; i < batch.x().length; i++) {
            for (int k = 0; k < batch.x()[i].length; k++) {
                double[][] plus = copy(batch.x());
                double[][] minus = copy(batch.x());
                plus[i][k] += eps;
                minus[i][k] -= eps;
                double numeric = batch.x().length * (ReferenceBaselineLosses.mean(cfg, plus, batch.y())
                        - ReferenceBaselineLosses.mean(cfg, minus, batch.y())) / (2 * eps);
                assertEquals(numeric, grad[i][k], 1e-6 * Math.max(1, Math.abs(numeric)), "dS/dx[" + i + "][" + k + "]");
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void dl4jGradientCheckPasses(MetricLossConfig cfg) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.withClassSizes(11, new int[] {3, 3, 2, 3}, 5, 0.8);
        ComputationGraph net = TinyNetworks.mlp(5, 6, 3, MetricLossLayer.of(cfg), DataType.DOUBLE, 11, new NoOp());
        INDArray x = b.features(DataType.DOUBLE);
        INDArray y = b.labelColumn(DataType.DOUBLE);
        assertTrue(net.score(new DataSet(x, y)) > 0, "the batch must cost something");
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)), cfg.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void fitLowersTheLossAndTheLayerOutputsUnitEmbeddings(MetricLossConfig cfg) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(14, 6, 3, 8, 0.8);
        ComputationGraph net = TinyNetworks.mlp(8, 16, 4, MetricLossLayer.of(cfg), DataType.FLOAT, 5, new Adam(1e-2));
        DataSet ds = new DataSet(b.features(DataType.FLOAT), b.labelColumn(DataType.FLOAT));
        double before = net.score(ds);
        for (int i = 0; i < 60; i++) {
            net.fit(ds);
        }
        assertTrue(net.score(ds) < 0.8 * before, cfg + ": loss " + before + " -> " + net.score(ds));
        assertEquals(1.0, net.outputSingle(ds.getFeatures()).getRow(0).norm2Number().doubleValue(), 1e-6);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void jsonAndModelSerializerRoundTripsKeepTheLoss(MetricLossConfig cfg, @TempDir Path dir) throws Exception {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(15, 5, 3, 6, 0.6);
        ComputationGraph net = TinyNetworks.mlp(6, 8, 4, MetricLossLayer.of(cfg), DataType.DOUBLE, 3, new NoOp());
        ComputationGraphConfiguration restoredConf = ComputationGraphConfiguration.fromJson(net.getConfiguration().toJson());
        MetricLossLayer layer = (MetricLossLayer) ((LayerVertex) restoredConf.getVertices().get("rll")).getLayerConf().getLayer();
        assertEquals(cfg, layer.getLossConfig());
        DataSet ds = new DataSet(b.features(DataType.DOUBLE), b.labelColumn(DataType.DOUBLE));
        File file = dir.resolve("net.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(cfg, ((MetricLossLayer) restored.getLayer("rll").conf().getLayer()).getLossConfig());
        assertEquals(net.score(ds), restored.score(ds), 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void noBatchExceedsTheStatedBound(MetricLossConfig cfg) {
        List<Batch> worst = new ArrayList<>(batches());
        // collapsed classes (every negative at distance 0) and spread classes (positives opposite)
        worst.add(new Batch("all identical, 3 classes", new double[][] {{1, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 0}},
                new long[] {0, 0, 1, 1, 2, 2}, false));
        worst.add(new Batch("positives opposite, negatives identical", new double[][] {{1, 0}, {-1, 0}, {1, 0}, {-1, 0}},
                new long[] {0, 0, 1, 1}, false));
        assertEquals(cfg.terms().normalizes(), Double.isFinite(cfg.maxBatchMean(6)),
                "a bound exactly for the losses on unit embeddings: " + cfg);
        for (Batch b : worst) {
            double mean = ReferenceBaselineLosses.mean(cfg, b.x(), b.y());
            assertTrue(mean <= cfg.maxBatchMean(b.x().length), cfg + " on " + b + ": " + mean + " > " + cfg.maxBatchMean(b.x().length));
        }
    }

    @Test
    void invalidHyperParametersAndBadInputGetClearErrors() {
        assertEquals("positiveMargin (m_p) must be finite and >= 0, found -0.1", assertThrows(IllegalArgumentException.class,
                () -> ContrastiveLossConfig.builder().positiveMargin(-0.1).build()).getMessage());
        assertEquals("negativeMargin (m_n) must be finite and > positiveMargin = 0.5, found 0.5", assertThrows(IllegalArgumentException.class,
                () -> ContrastiveLossConfig.builder().positiveMargin(0.5).negativeMargin(0.5).build()).getMessage());
        assertEquals("margin must be finite and > 0, found 0.0", assertThrows(IllegalArgumentException.class,
                () -> TripletLossConfig.builder().margin(0).build()).getMessage());
        assertEquals("margin must be finite and >= 0, found NaN", assertThrows(IllegalArgumentException.class,
                () -> LiftedStructureLossConfig.withMargin(Double.NaN)).getMessage());
        assertEquals("l2Regularization (lambda) must be finite and >= 0, found -1.0", assertThrows(IllegalArgumentException.class,
                () -> NPairLossConfig.withL2Regularization(-1)).getMessage());
        assertEquals("lambda must be in [-1, 1] (a cosine similarity), found 1.5", assertThrows(IllegalArgumentException.class,
                () -> MultiSimilarityLossConfig.builder().lambda(1.5).build()).getMessage());
        ComputationGraph net = TinyNetworks.mlp(3, 4, 2, MetricLossLayer.of(TripletLossConfig.batchHard()), DataType.FLOAT, 2, new NoOp());
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3);
        x.putScalar(1, 2, Float.NaN);
        NonFiniteEmbeddingException e = assertThrows(NonFiniteEmbeddingException.class,
                () -> net.score(new DataSet(x, Nd4j.createFromArray(new float[] {0, 0, 1, 1}).reshape(-1, 1))));
        assertTrue(e.getMessage().startsWith("MetricLossLayer 'rll': Triplet Loss (batch hard): "), e.getMessage());
        IllegalArgumentException labels = assertThrows(IllegalArgumentException.class,
                () -> net.score(new DataSet(Nd4j.rand(DataType.FLOAT, 3, 3), Nd4j.createFromArray(new float[] {0, 1.5f, 1}).reshape(-1, 1))));
        assertTrue(labels.getMessage().contains("labels row 1 must be an integer class id, found 1.5"), labels.getMessage());
    }
}
