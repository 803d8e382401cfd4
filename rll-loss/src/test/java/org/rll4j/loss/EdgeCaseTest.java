package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Degenerate batches: the loss and its gradient stay finite and equal the reference where the
 * reference is defined, in float and double; bad input gets a clear error.
 */
class EdgeCaseTest {

    record Degenerate(String name, double[][] x, long[] labels) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> degenerateBatches() {
        double[] v = {0.3, -0.5, 0.8};
        return Stream.of(
                new Degenerate("identical embeddings, two classes", new double[][] {v, v, v, v}, new long[] {0, 0, 1, 1}),
                new Degenerate("identical embeddings, one class", new double[][] {v, v, v}, new long[] {4, 4, 4}),
                new Degenerate("identical pair inside a random batch",
                        new double[][] {v, v, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, new long[] {0, 1, 0, 1, 2}),
                new Degenerate("no positives: every class a singleton",
                        new double[][] {{1, 0, 0}, {0.9, 0.1, 0}, {0.2, 1, 0}, {0, 0.3, 1}}, new long[] {0, 1, 2, 3}),
                new Degenerate("no negatives: a single-class batch",
                        new double[][] {{1, 0, 0}, {-0.9, 0.1, 0}, {0.2, -1, 0}, {0, 0.3, -1}}, new long[] {7, 7, 7, 7}),
                new Degenerate("a batch of one", new double[][] {v}, new long[] {3}),
                new Degenerate("negative class ids", new double[][] {{1, 0, 0}, {0.5, 0.5, 0}, {0, 1, 0}, {0.3, 0.2, 0.9}},
                        new long[] {-1, -1, -2, -2}))
                .flatMap(d -> Stream.of(DataType.DOUBLE, DataType.FLOAT).flatMap(dt -> Stream.of(
                        Arguments.of(d, dt, RankedListLossConfig.paper()),
                        Arguments.of(d, dt, RankedListLossConfig.builder().tn(50).tp(50).build()),
                        Arguments.of(d, dt, RankedListLossConfig.builder().margin(1.2).tn(-50).build()))));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("degenerateBatches")
    void lossAndGradientAreFiniteAndMatchTheReference(Degenerate d, DataType dt, RankedListLossConfig cfg) {
        INDArray x = Nd4j.createFromArray(d.x()).castTo(dt);
        INDArray y = Nd4j.createFromArray(d.labels()).castTo(dt).reshape(-1, 1);
        for (RankedListLossConfig.WeightGradient mode : RankedListLossConfig.WeightGradient.values()) {
            RankedListLoss loss = RankedListLoss.create(cfg.toBuilder().weightGradient(mode).build(), dt);
            double mean = loss.mean(x, y);
            INDArray grad = loss.gradient(x, y);
            assertTrue(Double.isFinite(mean), "loss " + mean);
            assertEquals(0, Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition(
                    grad, org.nd4j.linalg.indexing.conditions.Conditions.notFinite())).getInt(0), "gradient finite: " + grad);
            double expected = ReferenceRankedListLoss.mean(d.x(), d.labels(), cfg);
            // float: inputs are float-rounded and close pairs are recomputed in double, so 1e-6 holds
            double tol = dt == DataType.DOUBLE ? 1e-10 : 1e-6;
            assertEquals(expected, mean, tol * Math.max(1, Math.abs(expected)), mode.name());
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("degenerateBatches")
    void theSameDiffGraphIsFiniteAndMatchesTheReferenceToo(Degenerate d, DataType dt, RankedListLossConfig cfg) {
        for (RankedListLossConfig.WeightGradient mode : RankedListLossConfig.WeightGradient.values()) {
            SameDiffHarness graph = new SameDiffHarness(cfg.toBuilder().weightGradient(mode).build(), dt);
            double mean = graph.mean(d.x(), d.labels());
            for (double[] row : graph.gradientOfMean(d.x(), d.labels())) {
                for (double v : row) {
                    assertTrue(Double.isFinite(v), "gradient finite");
                }
            }
            double expected = ReferenceRankedListLoss.mean(d.x(), d.labels(), cfg);
            // float: the whole graph runs in float (the kernel works in double)
            double tol = dt == DataType.DOUBLE ? 1e-10 : 1e-5;
            assertEquals(expected, mean, tol * Math.max(1, Math.abs(expected)), mode.name());
        }
    }

    @Test
    void viewsAndColumnMajorInputsGiveTheSameLossAsContiguousOnes() {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(5, 4, 3, 6, 0.7);
        RankedListLoss loss = RankedListLoss.create(RankedListLossConfig.paper(), DataType.FLOAT);
        INDArray x = b.features(DataType.FLOAT);
        INDArray y = b.labelColumn(DataType.FLOAT);
        double expected = loss.mean(x, y);
        INDArray padded = Nd4j.zeros(DataType.FLOAT, 20, 9);
        padded.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(3, 15),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 8)).assign(x);
        INDArray view = padded.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(3, 15),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 8));
        assertTrue(view.isView());
        assertEquals(expected, loss.mean(view, y), 0);
        assertEquals(expected, loss.mean(x.dup('f'), y), 0);
        assertTrue(loss.gradient(view, y).equalsWithEps(loss.gradient(x, y), 0));
    }

    @Test
    void identicalNegativesCostAlphaAndGetAZeroGradient() {
        double[] v = {0.6, 0.8};
        RankedListLoss loss = RankedListLoss.create(RankedListLossConfig.paper(), DataType.DOUBLE);
        INDArray x = Nd4j.createFromArray(new double[][] {v, v});
        INDArray y = Nd4j.createFromArray(new double[] {0, 1}).reshape(-1, 1);
        assertEquals(1.2, loss.mean(x, y), 1e-15);
        assertEquals(0.0, loss.gradient(x, y).norm2Number().doubleValue(), 0);
    }

    @Test
    void anAllZeroEmbeddingRowStaysFinite() {
        RankedListLoss loss = RankedListLoss.create(RankedListLossConfig.paper(), DataType.FLOAT);
        INDArray x = Nd4j.createFromArray(new float[][] {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0.5f, 0.5f, 0}});
        INDArray y = Nd4j.createFromArray(new float[] {0, 0, 1, 1}).reshape(-1, 1);
        assertTrue(Double.isFinite(loss.mean(x, y)));
    }

    @Test
    void anAllZeroEmbeddingRowGivesTheKernelsLossAndAFiniteGradientInTheGraph() {
        double[][] x = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0.5, 0.5, 0}};
        long[] labels = {0, 0, 1, 1};
        SameDiffHarness graph = new SameDiffHarness(RankedListLossConfig.paper(), DataType.DOUBLE);
        RankedListLoss kernel = RankedListLoss.create(RankedListLossConfig.paper(), DataType.DOUBLE);
        INDArray xs = Nd4j.createFromArray(x);
        INDArray ys = Nd4j.createFromArray(labels).castTo(DataType.DOUBLE).reshape(-1, 1);
        assertEquals(kernel.mean(xs, ys), graph.mean(x, labels), 1e-12);
        for (double[] row : graph.gradientOfMean(x, labels)) {
            for (double v : row) {
                assertTrue(Double.isFinite(v), "gradient finite");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void trainingOnASingleClassBatchStaysFinite(RankedListLossImplementation impl) {
        ComputationGraph net = TinyNetworks.mlp(4, 6, 3, RankedListLossConfig.paper(), DataType.FLOAT, 1, new Sgd(0.1), impl);
        DataSet ds = new DataSet(Nd4j.rand(DataType.FLOAT, 5, 4), Nd4j.zeros(DataType.FLOAT, 5, 1));
        for (int i = 0; i < 3; i++) {
            net.fit(ds);
        }
        assertTrue(Double.isFinite(net.score(ds)));
        assertTrue(net.params().norm2Number().doubleValue() < Double.MAX_VALUE);
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void nanInputNamesRowAndColumn(RankedListLossImplementation impl) {
        ComputationGraph net = TinyNetworks.lossOnly(3, RankedListLossConfig.paper(), DataType.FLOAT, impl);
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3);
        x.putScalar(2, 1, Float.NaN);
        DataSet ds = new DataSet(x, Nd4j.createFromArray(new float[] {0, 0, 1, 1}).reshape(-1, 1));
        NonFiniteEmbeddingException e = assertThrows(NonFiniteEmbeddingException.class, () -> net.score(ds));
        assertEquals(2, e.row());
        assertEquals(1, e.column());
        assertTrue(e.getMessage().contains("'rll'") && e.getMessage().contains("NaN at row 2, column 1"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void nanReachingTheLossDuringFitIsReported(RankedListLossImplementation impl) {
        ComputationGraph net = TinyNetworks.mlp(3, 4, 2, RankedListLossConfig.paper(), DataType.FLOAT, 2, new Sgd(0.1), impl);
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3);
        x.putScalar(3, 0, Float.NaN);
        DataSet ds = new DataSet(x, Nd4j.createFromArray(new float[] {0, 0, 1, 1}).reshape(-1, 1));
        NonFiniteEmbeddingException e = assertThrows(NonFiniteEmbeddingException.class, () -> net.fit(ds));
        assertEquals(3, e.row());
    }

    @Test
    void infiniteInputIsRejectedByTheFunctionalApiToo() {
        RankedListLoss loss = RankedListLoss.create(RankedListLossConfig.paper(), DataType.DOUBLE);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 2);
        x.putScalar(0, 0, Double.POSITIVE_INFINITY);
        NonFiniteEmbeddingException e = assertThrows(NonFiniteEmbeddingException.class,
                () -> loss.mean(x, Nd4j.zeros(DataType.DOUBLE, 3, 1)));
        assertTrue(e.getMessage().contains("Infinity at row 0, column 0"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void fractionalClassIdIsRejectedWithItsRow(RankedListLossImplementation impl) {
        ComputationGraph net = TinyNetworks.lossOnly(2, RankedListLossConfig.paper(), DataType.FLOAT, impl);
        DataSet ds = new DataSet(Nd4j.rand(DataType.FLOAT, 3, 2), Nd4j.createFromArray(new float[] {0, 1.5f, 1}).reshape(-1, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.score(ds));
        assertTrue(e.getMessage().contains("labels row 1 must be an integer class id, found 1.5"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(RankedListLossImplementation.class)
    void softLabelsAreNotMistakenForOneHot(RankedListLossImplementation impl) {
        ComputationGraph net = TinyNetworks.lossOnly(2, RankedListLossConfig.paper(), DataType.FLOAT, impl);
        INDArray soft = Nd4j.createFromArray(new float[][] {{1, 0}, {0.9f, 0.1f}, {0, 1}});
        DataSet ds = new DataSet(Nd4j.rand(DataType.FLOAT, 3, 2), soft);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.score(ds));
        assertTrue(e.getMessage().contains("row 1 is not"), e.getMessage());
    }

    @Test
    void labelRowCountMustMatchTheBatch() {
        RankedListLoss loss = RankedListLoss.create(RankedListLossConfig.paper(), DataType.FLOAT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loss.mean(Nd4j.rand(DataType.FLOAT, 4, 2), Nd4j.zeros(DataType.FLOAT, 3, 1)));
        assertTrue(e.getMessage().contains("labels have 3 rows but the embedding batch has 4"), e.getMessage());
    }
}
