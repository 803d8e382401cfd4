package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * The Ranked List Loss over a cross-batch memory: the kernel against the brute-force reference over the batch and
 * the memory, central differences, DL4J's gradient check through the layer, the in-batch loss as the case M = 0,
 * the layer's warm-up, ring and pending batch, and the saved state.
 */
@Tag("gradient-check")
@ExtendWith(DoublePrecision.class)
class CrossBatchMemoryTest {

    private static final RankedListLossConfig FLOW = RankedListLossConfig.paper().toBuilder()
            .weightGradient(RankedListLossConfig.WeightGradient.FLOW).build();

    /** Unit rows of random classes among {@code classes}; row 0 is query 0's own embedding when {@code withSelf}. */
    private static double[][] memoryRows(long seed, int m, int dim, EmbeddingFixtures.Batch batch, boolean withSelf) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] rows = new double[m][dim];
        for (double[] r : rows) {
            for (int k = 0; k < dim; k++) {
                r[k] = rnd.nextDouble(-1, 1);
            }
        }
        double[][] unit = ReferenceRankedListLoss.normalize(rows);
        if (withSelf) {
            unit[0] = ReferenceRankedListLoss.normalize(new double[][] {batch.x()[0]})[0]; // the same image, seen before
        }
        return unit;
    }

    private static long[] memoryLabels(long seed, int m, EmbeddingFixtures.Batch batch) {
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        long[] ids = new long[m];
        for (int j = 0; j < m; j++) {
            ids[j] = batch.labels()[rnd.nextInt(batch.labels().length)];
        }
        ids[0] = batch.labels()[0];
        return ids;
    }

    private static CrossBatchMemory memory(int capacity, double[][] rows, long[] ids) {
        CrossBatchMemory m = new CrossBatchMemory(capacity);
        m.add(Nd4j.createFromArray(rows), ids);
        return m;
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(RankedListLossConfig.paper(), 1L, 7),
                Arguments.of(RankedListLossConfig.cub(), 2L, 20),
                Arguments.of(RankedListLossConfig.builder().tp(5).lambda(0.5).build(), 3L, 3),
                Arguments.of(RankedListLossConfig.builder().alpha(1.4).margin(1.4).tn(15).tp(3).build(), 4L, 40),
                Arguments.of(FLOW, 5L, 12));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesTheBruteForceReferenceOverBatchAndMemory(RankedListLossConfig cfg, long seed, int m) {
        EmbeddingFixtures.Batch batch = EmbeddingFixtures.withClassSizes(seed, new int[] {3, 3, 2, 4, 1}, 8, 0.6);
        // the query's own earlier embedding sits at distance ~1e-16, not 0: left out where that is the positive boundary
        double[][] mem = memoryRows(seed, m, 8, batch, cfg.positiveBoundary() > 0);
        long[] memIds = memoryLabels(seed, m, batch);
        double[] expected = ReferenceRankedListLoss.perQueryWithMemory(batch.x(), batch.labels(), mem, memIds, cfg);
        double[] actual = RankedListLoss.create(cfg, DataType.DOUBLE)
                .perQuery(batch.features(DataType.DOUBLE), batch.labelColumn(DataType.DOUBLE), memory(m, mem, memIds))
                .toDoubleVector();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-10 * Math.abs(expected[i]) + 1e-13, "L(" + i + ")");
        }
        double[] inBatch = ReferenceRankedListLoss.perQuery(batch.x(), batch.labels(), cfg);
        assertNotEquals(java.util.Arrays.toString(inBatch), java.util.Arrays.toString(expected),
                "the memory must change the loss for the test to mean anything");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gradientMatchesCentralDifferencesWithTheMemoryConstant(RankedListLossConfig cfg, long seed, int m) {
        // flowing weights, or T = 0 (uniform weights): the analytic gradient is the true one
        RankedListLossConfig exact = cfg.tn() == 0 && cfg.tp() == 0 ? cfg
                : cfg.toBuilder().weightGradient(RankedListLossConfig.WeightGradient.FLOW).build();
        EmbeddingFixtures.Batch batch = EmbeddingFixtures.withClassSizes(seed, new int[] {3, 3, 2, 4, 1}, 5, 0.6);
        double[][] mem = memoryRows(seed, m, 5, batch, false);
        long[] memIds = memoryLabels(seed, m, batch);
        CrossBatchMemory memory = memory(m, mem, memIds);
        RankedListLoss loss = RankedListLoss.create(exact, DataType.DOUBLE);
        INDArray x = batch.features(DataType.DOUBLE);
        INDArray y = batch.labelColumn(DataType.DOUBLE);
        double[][] g = loss.gradient(x, y, memory).toDoubleMatrix();
        double h = 1e-6;
        double max = 0;
        for (double[] r : g) {
            for (double v : r) {
                max = Math.max(max, Math.abs(v));
            }
        }
        assertTrue(max > 0, "some pair must violate");
        for (int i = 0; i < g.length; i++) {
            for (int k = 0; k < g[i].length; k++) {
                INDArray plus = x.dup();
                plus.putScalar(i, k, x.getDouble(i, k) + h);
                INDArray minus = x.dup();
                minus.putScalar(i, k, x.getDouble(i, k) - h);
                double numeric = (loss.mean(plus, y, memory) - loss.mean(minus, y, memory)) / (2 * h);
                assertEquals(numeric, g[i][k], 1e-6 * max + 1e-9, "dL/dx[" + i + "][" + k + "]");
            }
        }
        assertEquals(m, memory.size(), "the loss does not change the memory");
    }

    @Test
    void anEmptyMemoryIsTheInBatchLossBitForBit() {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            EmbeddingFixtures.Batch batch = EmbeddingFixtures.balanced(9, 6, 3, 16, 0.7);
            RankedListLoss loss = RankedListLoss.create(RankedListLossConfig.paper(), dt);
            INDArray x = batch.features(dt);
            INDArray y = batch.labelColumn(dt);
            CrossBatchMemory empty = new CrossBatchMemory(64);
            assertArrayEquals(loss.perQuery(x, y).toDoubleVector(), loss.perQuery(x, y, empty).toDoubleVector());
            assertEquals(loss.gradient(x, y), loss.gradient(x, y, empty));
        }
    }

    @Test
    void aQueryMeetsItsOwnEarlierEmbeddingAsAPositiveAndNeverItselfInTheBatch() {
        // two classes of one image each: in-batch, no query has a positive; with its own embedding in the memory,
        // the positive is at distance 0 (inside alpha - m: no loss), and the negatives are unchanged
        EmbeddingFixtures.Batch batch = EmbeddingFixtures.withClassSizes(3, new int[] {1, 1}, 4, 0.3);
        double[][] self = ReferenceRankedListLoss.normalize(batch.x());
        RankedListLoss loss = RankedListLoss.create(RankedListLossConfig.builder().margin(0).alpha(1.5).build(), DataType.DOUBLE);
        INDArray x = batch.features(DataType.DOUBLE);
        INDArray y = batch.labelColumn(DataType.DOUBLE);
        CrossBatchMemory m = memory(2, self, batch.labels());
        assertArrayEquals(loss.perQuery(x, y).toDoubleVector(), loss.perQuery(x, y, m).toDoubleVector(), 1e-15);
        double[][] g = loss.gradient(x, y, m).toDoubleMatrix();
        double[][] g0 = loss.gradient(x, y).toDoubleMatrix();
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(g0[i], g[i], 1e-12, "a positive at distance 0 adds no gradient");
        }
    }

    @Test
    void theRingKeepsTheLastMAndTheStateRoundTrips() throws IOException {
        CrossBatchMemory m = new CrossBatchMemory(5);
        assertNull(m.embeddings());
        m.add(Nd4j.createFromArray(new float[][] {{1, 0}, {0, 1}, {1, 0}}), new long[] {1, 2, 3});
        m.add(Nd4j.createFromArray(new float[][] {{0, -1}, {-1, 0}, {0.6f, 0.8f}}), new long[] {4, 5, 6});
        assertEquals(5, m.size());
        assertEquals(DataType.FLOAT, m.dataType());
        // slot 0 (id 1) was the oldest: id 6 took it
        assertArrayEquals(new long[] {6, 2, 3, 4, 5}, m.classIds());
        CrossBatchMemory copy = CrossBatchMemory.fromBytes(m.toBytes());
        assertEquals(m.embeddings(), copy.embeddings());
        assertArrayEquals(m.classIds(), copy.classIds());
        m.add(Nd4j.createFromArray(new float[][] {{0, 2}}), new long[] {7});
        copy.add(Nd4j.createFromArray(new float[][] {{0, 2}}), new long[] {7});
        assertArrayEquals(new long[] {6, 7, 3, 4, 5}, copy.classIds(), "the restored ring goes on where it was");
        assertEquals(m.embeddings(), copy.embeddings());
        // more rows than the capacity: the last five stay
        CrossBatchMemory small = new CrossBatchMemory(2);
        small.add(Nd4j.createFromArray(new double[][] {{1}, {2}, {3}}), new long[] {1, 2, 3});
        assertArrayEquals(new long[] {2, 3}, small.classIds());
        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class,
                () -> m.add(Nd4j.createFromArray(new float[][] {{1, 0, 0}}), new long[] {1}));
        assertTrue(wide.getMessage().contains("width 2") && wide.getMessage().contains("width 3"), wide.getMessage());
        assertThrows(IOException.class, () -> CrossBatchMemory.fromBytes(new byte[] {0, 0, 0, 9}));
        assertThrows(IllegalArgumentException.class, () -> new CrossBatchMemory(0));
        assertThrows(IllegalArgumentException.class, () -> CrossBatchMemoryConfig.of(0, 10));
        IllegalArgumentException warm = assertThrows(IllegalArgumentException.class, () -> CrossBatchMemoryConfig.of(8, -1));
        assertTrue(warm.getMessage().contains("warmupIterations") && warm.getMessage().contains("-1"), warm.getMessage());
    }

    @Test
    void otherLossesAndOtherWidthsAreRefusedByName() {
        EmbeddingFixtures.Batch batch = EmbeddingFixtures.balanced(4, 3, 2, 6, 0.5);
        CrossBatchMemory narrow = memory(4, ReferenceRankedListLoss.normalize(new double[][] {{1, 2}, {3, 4}}), new long[] {0, 1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RankedListLoss
                .create(RankedListLossConfig.paper(), DataType.DOUBLE)
                .perQuery(batch.features(DataType.DOUBLE), batch.labelColumn(DataType.DOUBLE), narrow));
        assertTrue(e.getMessage().contains("width 2") && e.getMessage().contains("6 wide"), e.getMessage());
        CrossBatchMemory six = memory(4, ReferenceRankedListLoss.normalize(batch.x()), batch.labels());
        UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class, () -> new MetricLossFunction(
                MultiSimilarityLossConfig.defaults()).evaluate(batch.labelColumn(DataType.DOUBLE), batch.features(DataType.DOUBLE),
                new ActivationL2Normalize(), null, false, six));
        assertTrue(u.getMessage().contains("does not take a cross-batch memory"), u.getMessage());
    }

    private static ComputationGraph net(CrossBatchMemoryConfig memory, long seed) {
        return net(memory, seed, new Sgd(0.05));
    }

    private static ComputationGraph net(CrossBatchMemoryConfig memory, long seed, org.nd4j.linalg.learning.config.IUpdater updater) {
        return TinyNetworks.mlp(5, 6, 3, RankedListLossLayer.of(FLOW, memory), DataType.DOUBLE, seed, updater);
    }

    private static DataSet batch(long seed) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.withClassSizes(seed, new int[] {3, 3, 2, 3}, 5, 0.8);
        return new DataSet(b.features(DataType.DOUBLE), b.labelColumn(DataType.DOUBLE));
    }

    private static CrossBatchMemory memoryOf(ComputationGraph net) {
        return ((PairwiseLossLayerImpl) net.getLayer("rll")).memory();
    }

    @Test
    void theLayerWarmsUpThenRanksAgainstEarlierBatchesOnly() {
        ComputationGraph withMemory = net(CrossBatchMemoryConfig.of(15, 2), 7);
        ComputationGraph inBatch = TinyNetworks.mlp(5, 6, 3, RankedListLossLayer.of(FLOW), DataType.DOUBLE, 7, new Sgd(0.05));
        for (int it = 0; it < 3; it++) {
            withMemory.fit(batch(100 + it));
            inBatch.fit(batch(100 + it));
            // iterations 0 and 1 warm up; iteration 2 has an empty memory (its batch waits): all in-batch
            assertEquals(inBatch.params(), withMemory.params(), "iteration " + it);
        }
        assertEquals(0, memoryOf(withMemory).size(), "iteration 2's batch waits until the counter moves on");
        withMemory.fit(batch(103));
        inBatch.fit(batch(103));
        assertEquals(11, memoryOf(withMemory).size());
        assertNotEquals(inBatch.params(), withMemory.params(), "iteration 3 ranked against iteration 2's batch");
        withMemory.fit(batch(104));
        assertEquals(15, memoryOf(withMemory).size(), "full: 11 + 11 rows, the last 15 kept");
        // scores outside training are the in-batch loss
        DataSet probe = batch(200);
        ComputationGraph copy = TinyNetworks.mlp(5, 6, 3, RankedListLossLayer.of(FLOW), DataType.DOUBLE, 7, new Sgd(0.05));
        copy.setParams(withMemory.params());
        assertEquals(copy.score(probe, false), withMemory.score(probe, false), 0);
    }

    @Test
    void dl4jGradientCheckPassesWithAFilledMemory() {
        ComputationGraph net = net(CrossBatchMemoryConfig.of(30, 0), 11, new org.nd4j.linalg.learning.config.NoOp());
        for (int it = 0; it < 3; it++) {
            net.fit(batch(300 + it)); // fills the memory with 22 rows; the third batch is pending
        }
        DataSet b = batch(400);
        net.getConfiguration().setIterationCount(3);
        GradientCheckUtil.GraphConfig check = new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {b.getFeatures()}).labels(new INDArray[] {b.getLabels()})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).print(GradientCheckUtil.PrintMode.FAILURES_ONLY);
        assertTrue(GradientCheckUtil.checkGradients(check));
        assertEquals(30, memoryOf(net).size(), "the pending batch joined before the check; the check's calls share one memory");
    }

    @Test
    void savedStateResumesBitForBit() throws IOException {
        CrossBatchMemoryConfig cfg = CrossBatchMemoryConfig.of(20, 1);
        ComputationGraph run = net(cfg, 13);
        for (int it = 0; it < 4; it++) {
            run.fit(batch(500 + it));
        }
        // "checkpoint": weights and counters, and the memories with the pending batch
        ComputationGraph resumed = roundTrip(run);
        byte[] state = CrossBatchMemories.save(run);
        assertTrue(CrossBatchMemories.configured(run));
        assertEquals(List.of("rll"), CrossBatchMemories.restore(resumed, state));
        ComputationGraph fresh = roundTrip(run); // the same weights and counters, no memory: another run
        for (int it = 4; it < 8; it++) {
            run.fit(batch(500 + it));
            resumed.fit(batch(500 + it));
            fresh.fit(batch(500 + it));
        }
        assertEquals(run.params(), resumed.params());
        assertEquals(memoryOf(run).embeddings(), memoryOf(resumed).embeddings());
        assertNotEquals(run.params(), fresh.params(), "without its memory a resumed run would differ");
    }

    private static ComputationGraph roundTrip(ComputationGraph net) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        org.deeplearning4j.util.ModelSerializer.writeModel(net, bytes, true);
        return org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(new java.io.ByteArrayInputStream(bytes.toByteArray()), true);
    }

    @Test
    void theConfigSurvivesJsonAndTheMemoryEmptiesWhenTheWidthChanges() {
        ComputationGraph net = net(CrossBatchMemoryConfig.of(40, 3), 17);
        ComputationGraphConfiguration restored = ComputationGraphConfiguration.fromJson(net.getConfiguration().toJson());
        RankedListLossLayer layer = (RankedListLossLayer) ((org.deeplearning4j.nn.conf.graph.LayerVertex) restored.getVertices()
                .get("rll")).getLayerConf().getLayer();
        assertEquals(CrossBatchMemoryConfig.of(40, 3), layer.getMemoryConfig());
        assertEquals(FLOW, layer.getLossConfig());
        assertNull(((RankedListLossLayer) RankedListLossLayer.of(FLOW).clone()).getMemoryConfig());

        ComputationGraph loss = TinyNetworks.mlp(5, 6, 3, RankedListLossLayer.of(FLOW, CrossBatchMemoryConfig.of(40, 0)),
                DataType.DOUBLE, 1, new Sgd(0.05));
        loss.fit(batch(1));
        loss.fit(batch(2));
        CrossBatchMemory m = memoryOf(loss);
        assertEquals(3, m.dimension());
        // a memory of another width (a model that changed shape) is emptied before it is used
        m.clear();
        m.add(Nd4j.createFromArray(new double[][] {{1, 0, 0, 0}}), new long[] {1});
        loss.fit(batch(3));
        assertEquals(3, m.dimension());
        assertEquals(11, m.size(), "emptied, then iteration 1's batch");
    }
}
