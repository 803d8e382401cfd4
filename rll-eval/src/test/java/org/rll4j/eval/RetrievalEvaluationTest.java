package org.rll4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.BaseEvaluation;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.rll4j.sampler.LabelEncoding;

/**
 * {@link RetrievalEvaluation} against {@link RetrievalEvaluator} on the same rows: the evaluation only gathers rows,
 * so every metric must be exactly the evaluator's (tolerance 0), however the rows arrive (batches, merges, masks,
 * label encodings, JSON or Java serialisation). DL4J's own calls are in {@link RetrievalEvaluationDl4jTest}.
 */
class RetrievalEvaluationTest {

    static final int CLASSES = 12;
    static final int PER_CLASS = 8;
    static final int N = CLASSES * PER_CLASS;
    static final int DIM = 16;

    /** Every metric, NMI geometric (not the default) so that the name is seen to follow the setting. */
    static final RetrievalEvaluator ALL = RetrievalEvaluator.builder().recallAt(1, 2, 4, 8)
            .metrics(RetrievalMetric.values()).nmiNormalization(NmiNormalization.GEOMETRIC).seed(7).build();

    /** Noisy clusters, one per class, classes interleaved so that every batch holds several. */
    static INDArray embeddings(long seed) {
        Random r = new Random(seed);
        float[][] centres = new float[CLASSES][DIM];
        for (float[] c : centres) {
            for (int j = 0; j < DIM; j++) {
                c[j] = (float) r.nextGaussian();
            }
        }
        float[][] x = new float[N][DIM];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < DIM; j++) {
                x[i][j] = centres[label(i)][j] + (float) (1.2 * r.nextGaussian());
            }
        }
        return Nd4j.createFromArray(x);
    }

    static int label(int row) {
        return row % CLASSES;
    }

    static int[] labels() {
        int[] l = new int[N];
        for (int i = 0; i < N; i++) {
            l[i] = label(i);
        }
        return l;
    }

    static INDArray idColumn(int[] labels) {
        return Nd4j.createFromArray(labels).castTo(DataType.FLOAT).reshape(-1, 1);
    }

    static INDArray rows(INDArray x, int from, int to) {
        return x.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    static int[] rows(int[] labels, int from, int to) {
        return java.util.Arrays.copyOfRange(labels, from, to);
    }

    /** The evaluation fed in batches of the given sizes (the last one takes the rest). */
    static RetrievalEvaluation inBatches(RetrievalEvaluator evaluator, INDArray x, int[] labels, int... sizes) {
        RetrievalEvaluation e = new RetrievalEvaluation(evaluator);
        int from = 0;
        for (int s : sizes) {
            e.eval(idColumn(rows(labels, from, from + s)), rows(x, from, from + s));
            from += s;
        }
        e.eval(idColumn(rows(labels, from, labels.length)), rows(x, from, labels.length));
        return e;
    }

    static void assertSameMetrics(RetrievalReport expected, RetrievalEvaluation actual) {
        assertEquals(expected.values(), actual.report().values());
        assertEquals(expected.queries(), actual.report().queries());
        assertEquals(expected.loneQueries(), actual.report().loneQueries());
    }

    @Test
    void everyMetricEqualsTheEvaluatorOnTheSameRows() {
        INDArray x = embeddings(1);
        int[] labels = labels();
        RetrievalReport expected = ALL.evaluate(x, labels);
        RetrievalEvaluation e = new RetrievalEvaluation(ALL);
        e.eval(idColumn(labels), x);
        assertEquals(N, e.size());
        assertSameMetrics(expected, e);
        for (int k : new int[] {1, 2, 4, 8}) {
            assertEquals(expected.recallAt(k), e.getValue(RetrievalEvaluation.recallAt(k)), 0);
        }
        assertEquals(expected.precisionAt1(), e.getValue(RetrievalMetric.PRECISION_AT_1), 0);
        assertEquals(expected.rPrecision(), e.getValue(RetrievalMetric.R_PRECISION), 0);
        assertEquals(expected.mapAtR(), e.getValue(RetrievalMetric.MAP_AT_R), 0);
        assertEquals(expected.nmi(), e.getValue(RetrievalMetric.NMI), 0);
        assertEquals(expected.clusteringF1(), e.getValue(RetrievalMetric.CLUSTERING_F1), 0);
        assertTrue(expected.recallAt(1) > 0.3 && expected.recallAt(1) < 1, "the data must be neither easy nor hopeless: "
                + expected.toTable());
        assertTrue(e.report() == e.report(), "the report is computed once until the rows change");
    }

    @Test
    void severalEvalCallsGiveWhatOneCallGives() {
        INDArray x = embeddings(2);
        int[] labels = labels();
        RetrievalEvaluation one = inBatches(ALL, x, labels);
        RetrievalEvaluation several = inBatches(ALL, x, labels, 7, 20, 1, 33);
        assertSameMetrics(ALL.evaluate(x, labels), several);
        assertEquals(one.report().values(), several.report().values());
        assertEquals(one, several);
        assertEquals(one.hashCode(), several.hashCode());
        several.eval(idColumn(new int[] {0}), rows(x, 0, 1));
        assertNotEquals(one, several, "a row more");
    }

    @Test
    void mergeAppendsTheOtherRowsAsOneEvaluationWouldHaveSeenThem() {
        INDArray x = embeddings(3);
        int[] labels = labels();
        RetrievalEvaluation first = inBatches(ALL, rows(x, 0, 40), rows(labels, 0, 40), 15);
        RetrievalEvaluation second = first.newInstance();
        second.eval(idColumn(rows(labels, 40, 70)), rows(x, 40, 70));
        second.eval(idColumn(rows(labels, 70, N)), rows(x, 70, N));
        first.merge(second);
        first.merge(null);
        first.merge(first.newInstance());
        assertEquals(N, first.size());
        assertEquals(56, second.size(), "the merged evaluation keeps its rows");
        assertSameMetrics(ALL.evaluate(x, labels), first);
        assertEquals(inBatches(ALL, x, labels), first);

        RetrievalEvaluation empty = new RetrievalEvaluation(ALL);
        empty.merge(second);
        assertSameMetrics(ALL.evaluate(rows(x, 40, N), rows(labels, 40, N)), empty);
    }

    @Test
    void mergeRefusesOtherSettingsOrDimensions() {
        INDArray x = embeddings(3);
        int[] labels = labels();
        RetrievalEvaluation e = inBatches(ALL, x, labels);
        RetrievalEvaluation other = inBatches(RetrievalEvaluator.builder().recallAt(1).build(), x, labels);
        IllegalArgumentException settings = assertThrows(IllegalArgumentException.class, () -> e.merge(other));
        assertTrue(settings.getMessage().contains("recallAt=[1]") && settings.getMessage().contains("recallAt=[1, 2, 4, 8]"),
                settings.getMessage());
        RetrievalEvaluation narrow = new RetrievalEvaluation(ALL);
        narrow.eval(idColumn(labels), rows(x, 0, N).get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3)));
        IllegalArgumentException dims = assertThrows(IllegalArgumentException.class, () -> e.merge(narrow));
        assertTrue(dims.getMessage().contains("found 16 and 3"), dims.getMessage());
    }

    @Test
    void classIdsAsAColumnOrAVectorAndOneHotRowsGiveTheSameResult() {
        INDArray x = embeddings(4);
        int[] labels = labels();
        RetrievalEvaluation ids = inBatches(ALL, x, labels);
        RetrievalEvaluation vector = new RetrievalEvaluation(ALL);
        vector.eval(Nd4j.createFromArray(labels), x);
        RetrievalEvaluation oneHot = new RetrievalEvaluation(ALL);
        INDArray hot = LabelEncoding.ONE_HOT.encode(Nd4j.createFromArray(labels), CLASSES, DataType.FLOAT);
        oneHot.eval(rows(hot, 0, 50), rows(x, 0, 50));
        oneHot.eval(rows(hot, 50, N), rows(x, 50, N));
        RetrievalEvaluation doubles = new RetrievalEvaluation(ALL);
        doubles.eval(idColumn(labels).castTo(DataType.INT64), x.castTo(DataType.DOUBLE));
        assertEquals(ids, vector);
        assertEquals(ids, oneHot);
        assertEquals(ids, doubles, "embeddings are kept as FLOAT, the precision the evaluator computes in");
        assertSameMetrics(ids.report(), oneHot);
    }

    @Test
    void aPerExampleMaskLeavesOutTheRowsWithZero() {
        INDArray x = embeddings(5);
        int[] labels = labels();
        float[] m = new float[N];
        int kept = 0;
        for (int i = 0; i < N; i++) {
            m[i] = i % 5 == 3 ? 0 : 1;
            kept += (int) m[i];
        }
        INDArray keptRows = Nd4j.create(DataType.FLOAT, kept, DIM);
        int[] keptLabels = new int[kept];
        for (int i = 0, j = 0; i < N; i++) {
            if (m[i] == 1) {
                keptRows.putRow(j, x.getRow(i));
                keptLabels[j++] = labels[i];
            }
        }
        RetrievalEvaluation column = new RetrievalEvaluation(ALL);
        column.eval(idColumn(labels), x, Nd4j.createFromArray(m).reshape(-1, 1));
        RetrievalEvaluation vector = new RetrievalEvaluation(ALL);
        vector.eval(rows(idColumn(labels), 0, 48), rows(x, 0, 48), Nd4j.createFromArray(m).get(NDArrayIndex.interval(0, 48)));
        vector.eval(rows(idColumn(labels), 48, N), rows(x, 48, N), Nd4j.createFromArray(m).get(NDArrayIndex.interval(48, N)));
        vector.eval(idColumn(labels), x, Nd4j.zeros(DataType.FLOAT, N)); // everything masked: nothing added
        assertEquals(kept, column.size());
        assertSameMetrics(ALL.evaluate(keptRows, keptLabels), column);
        assertEquals(column, vector);
    }

    @Test
    void otherMaskShapesAndValuesAreRejectedByName() {
        RetrievalEvaluation e = new RetrievalEvaluation(ALL);
        INDArray x = embeddings(5);
        INDArray ids = idColumn(labels());
        assertMessage(() -> e.eval(ids, x, Nd4j.ones(DataType.FLOAT, N, DIM)), "maskArray must be per example",
                "[" + N + ", " + DIM + "]");
        assertMessage(() -> e.eval(ids, x, Nd4j.ones(DataType.FLOAT, N - 1, 1)), "one entry per example (" + N + ")",
                "found " + (N - 1));
        INDArray half = Nd4j.ones(DataType.FLOAT, N, 1);
        half.putScalar(9, 0, 0.5);
        assertMessage(() -> e.eval(ids, x, half), "found 0.5 at row 9");
        assertEquals(0, e.size(), "nothing was added by a rejected batch");
    }

    @Test
    void jsonRoundTripKeepsSettingsAndRowsExactly() {
        INDArray x = embeddings(6);
        int[] labels = labels();
        RetrievalEvaluation e = inBatches(ALL, rows(x, 0, 60), rows(labels, 0, 60), 25);
        String json = e.toJson();
        assertTrue(json.contains("\"@class\" : \"org.rll4j.eval.RetrievalEvaluation\""), json.substring(0, 200));
        assertTrue(json.contains("\"recallAt\" : [ 1, 2, 4, 8 ]") && json.contains("\"nmiNormalization\" : \"GEOMETRIC\""),
                json.substring(0, 600));
        RetrievalEvaluation back = RetrievalEvaluation.fromJson(json);
        assertEquals(e, back);
        assertEquals(ALL, back.evaluator());
        assertEquals(e, BaseEvaluation.fromJson(json, RetrievalEvaluation.class));
        assertEquals(json, back.toJson());

        // a restored evaluation continues where the stored one stopped
        back.eval(idColumn(rows(labels, 60, N)), rows(x, 60, N));
        assertSameMetrics(ALL.evaluate(x, labels), back);

        RetrievalEvaluation empty = RetrievalEvaluation.fromJson(new RetrievalEvaluation(ALL).toJson());
        assertEquals(0, empty.size());
        assertEquals(new RetrievalEvaluation(ALL), empty);
    }

    @Test
    void jsonSettingsGoThroughTheBuilderValidationAndMissingOnesTakeTheDefaults() {
        String json = new RetrievalEvaluation().toJson();
        assertMessage(() -> RetrievalEvaluation.fromJson(json.replace("\"blockSize\" : 1024", "\"blockSize\" : 0")),
                "blockSize must be >= 1, found 0");
        RetrievalEvaluation defaults = RetrievalEvaluation.fromJson(
                "{\"@class\" : \"org.rll4j.eval.RetrievalEvaluation\", \"evaluator\" : {\"recallAt\" : [ 1 ]}}");
        assertEquals(RetrievalEvaluator.builder().recallAt(1).build(), defaults.evaluator());
        assertMessage(() -> RetrievalEvaluation.fromJson(json.replace("\"labels\" : [ ]", "\"labels\" : [ 1, 2 ]")),
                "embeddings must hold a row per label (2), found none");
        assertMessage(() -> RetrievalEvaluation.fromJson(json.replace("\"embeddings\" : null", "\"embeddings\" : \"AAAA\"")),
                "embeddings must be an array in ND4J's base64 format");
        RetrievalEvaluation three = new RetrievalEvaluation();
        three.eval(idColumn(new int[] {5, 7, 5}), Nd4j.createFromArray(new float[][] {{1, 0}, {0, 1}, {1, 1}}));
        String threeRows = three.toJson().replaceAll("\\s", "");
        assertMessage(() -> RetrievalEvaluation.fromJson(threeRows.replace("\"labels\":[5,7,5]", "\"labels\":[5,7]")),
                "embeddings must be [labels, D] = [2, D], found shape [3, 2]");
    }

    @Test
    void javaSerialisationKeepsSettingsAndRows() throws Exception {
        INDArray x = embeddings(7);
        RetrievalEvaluation e = inBatches(ALL, x, labels(), 50);
        e.report();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(e);
        }
        RetrievalEvaluation back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (RetrievalEvaluation) in.readObject();
        }
        assertEquals(e, back);
        assertSameMetrics(e.report(), back);
    }

    @Test
    void statsNamesEveryMetricWithItsDefinition() {
        RetrievalEvaluation e = inBatches(ALL, embeddings(8), labels());
        String stats = e.stats();
        for (Map.Entry<String, Double> v : e.report().values().entrySet()) {
            assertTrue(stats.contains(v.getKey()) && stats.contains(String.format(java.util.Locale.ROOT, "%.4f", v.getValue())),
                    v + " in\n" + stats);
        }
        for (RetrievalMetric m : RetrievalMetric.values()) {
            assertTrue(stats.contains(m.definition()), m + " in\n" + stats);
        }
        assertTrue(stats.contains("NMI (geometric)") && stats.contains("normaliser(H(Y), H(C)) = sqrt(H(Y) H(C))"), stats);
        assertTrue(stats.contains("96 embeddings (D = 16) of 12 classes"), stats);
        assertTrue(stats.contains("k-means: 12 clusters"), stats);
        assertEquals(stats.lines().count(), stats.lines().distinct().count(), stats);
        assertTrue(new RetrievalEvaluation().stats().contains("no embeddings evaluated yet"));
        assertTrue(e.toString().startsWith("RetrievalEvaluation{96 embeddings of dimension 16, RetrievalEvaluator{"),
                e.toString());
    }

    @Test
    void resetDropsTheRowsAndNewInstanceKeepsOnlyTheSettings() {
        RetrievalEvaluation e = inBatches(ALL, embeddings(9), labels());
        double before = e.getValue(RetrievalMetric.MAP_AT_R);
        RetrievalEvaluation fresh = e.newInstance();
        assertEquals(ALL, fresh.evaluator());
        assertEquals(0, fresh.size());
        e.reset();
        assertEquals(0, e.size());
        assertEquals(fresh, e);
        assertThrows(IllegalStateException.class, () -> e.getValue(RetrievalMetric.MAP_AT_R));
        INDArray other = embeddings(10);
        e.eval(idColumn(labels()), other);
        assertNotEquals(before, e.getValue(RetrievalMetric.MAP_AT_R));
        assertEquals(ALL.evaluate(other, labels()).mapAtR(), e.getValue(RetrievalMetric.MAP_AT_R), 0);
    }

    @Test
    void eachRetrievalMetricIsAnNd4jMetricOfThisEvaluation() {
        for (RetrievalMetric m : RetrievalMetric.values()) {
            assertEquals(RetrievalEvaluation.class, m.getEvaluationClass());
            assertTrue(!m.minimize(), m.name());
        }
        assertEquals(RetrievalEvaluation.class, RetrievalEvaluation.recallAt(4).getEvaluationClass());
        assertEquals("Recall@4", RetrievalEvaluation.recallAt(4).toString());
        RetrievalEvaluation single = new RetrievalEvaluation(RetrievalEvaluator.builder().recallAt(2).build());
        single.eval(idColumn(labels()), embeddings(11));
        assertEquals(single.getValue(RetrievalEvaluation.recallAt(2)), single.getValue(RetrievalMetric.RECALL_AT_K), 0);
    }

    @Test
    void metricsThatAreNotConfiguredAreNamedInTheError() {
        RetrievalEvaluation e = new RetrievalEvaluation(); // the defaults: Recall@1,2,4,8, P@1, R-Precision, MAP@R
        e.eval(idColumn(labels()), embeddings(12));
        assertMessage(() -> e.getValue(RetrievalMetric.NMI), "NMI was not configured", "MAP_AT_R", ".nmi(true)");
        assertMessage(() -> e.getValue(RetrievalEvaluation.recallAt(3)), "Recall@3 was not configured", "[1, 2, 4, 8]");
        assertMessage(() -> e.getValue(RetrievalMetric.RECALL_AT_K), "RECALL_AT_K names no single K", "[1, 2, 4, 8]",
                "recallAt(1)");
        assertMessage(() -> e.getValue(Evaluation.Metric.ACCURACY), "found ACCURACY", "a metric of Evaluation");
        assertMessage(() -> e.getValue(null), "found null");
        assertMessage(() -> RetrievalEvaluation.recallAt(0), "k of Recall@K must be >= 1, found 0");
        IllegalStateException empty = assertThrows(IllegalStateException.class,
                () -> new RetrievalEvaluation().getValue(RetrievalMetric.MAP_AT_R));
        assertTrue(empty.getMessage().contains("no embeddings yet"), empty.getMessage());
    }

    @Test
    void badBatchesAreRejectedWithTheValueAndNothingIsAdded() {
        RetrievalEvaluation e = new RetrievalEvaluation(ALL);
        INDArray x = embeddings(13);
        INDArray ids = idColumn(labels());
        assertMessage(() -> e.eval(ids, x.reshape(N, 4, 4)), "networkPredictions must be embeddings [batch, D]",
                "[" + N + ", 4, 4]");
        assertMessage(() -> e.eval(rows(ids, 0, 10), x), "one row per row of networkPredictions (" + N + "), found 10");
        INDArray fractional = ids.dup();
        fractional.putScalar(4, 0, 1.5);
        assertMessage(() -> e.eval(fractional, x), "labels row 4 must be an integer class id, found 1.5");
        INDArray notOneHot = Nd4j.zeros(DataType.FLOAT, N, 3);
        assertMessage(() -> e.eval(notOneHot, x), "read as one-hot, but row 0 is not");
        INDArray huge = ids.castTo(DataType.INT64);
        huge.putScalar(6, 0, 3_000_000_000L);
        assertMessage(() -> e.eval(huge, x), "labels row 6 must be a class id in the int range, found 3000000000");
        INDArray nan = x.dup();
        nan.putScalar(new long[] {5, 2}, Float.NaN);
        assertMessage(() -> e.eval(ids, nan), "networkPredictions must be finite, found NaN at row 5, column 2");
        assertMessage(() -> e.eval(null, x), "found labels null");
        assertEquals(0, e.size());
        e.eval(ids, x);
        assertMessage(() -> e.eval(ids, x.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 8))),
                "embedding dimension of the earlier batches (16), found 8");
        assertThrows(UnsupportedOperationException.class, () -> e.evalTimeSeries(ids, x));
        assertEquals(N, e.size());
    }

    @Test
    void invalidDataFailsWhenTheMetricsAreComputedWithTheEvaluatorsMessage() {
        RetrievalEvaluation e = new RetrievalEvaluation();
        e.eval(idColumn(new int[] {3, 3, 3, 3, 3, 3, 3, 3, 3}), embeddings(14).get(NDArrayIndex.interval(0, 9), NDArrayIndex.all()));
        assertMessage(e::stats, "the gallery must hold at least 2 classes, found 1 (class 3, 9 items)");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String... parts) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, call);
        for (String part : parts) {
            assertTrue(ex.getMessage().contains(part), "'" + part + "' in: " + ex.getMessage());
        }
    }

    @Test
    void labelsOfTheStoredRowsFollowTheirOrder() {
        RetrievalEvaluation e = new RetrievalEvaluation();
        e.eval(idColumn(new int[] {5, 7}), Nd4j.createFromArray(new float[][] {{1, 0}, {0, 1}}));
        e.eval(idColumn(new int[] {5}), Nd4j.createFromArray(new float[][] {{1, 1}}));
        assertTrue(e.toJson().replaceAll("\\s", "").contains("\"labels\":[5,7,5]"), e.toJson());
        assertEquals(3, RetrievalEvaluation.fromJson(e.toJson()).size());
    }
}
