package org.rll4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

class RetrievalEvaluatorTest {

    private static final float S = (float) Math.sqrt(0.5);
    private static final float[] E = {1, 0};
    private static final float[] N = {0, 1};
    private static final float[] W = {-1, 0};
    private static final float[] SOUTH = {0, -1};
    private static final float[] NE = {S, S};

    private static final int A = 10;
    private static final int B = 20;
    private static final int D = 30;

    /**
     * Six compass directions; inner products are exact (0, +-1, +-s), so the ties below are exact.
     * <pre>
     * item  0:E A   1:N A   2:NE B   3:E B   4:W A   5:S D (lone)
     * query 0 (R=2): 3 B, 2 B, 1 A, 5 D, 4 A        hits at 3     -> R@1 0 R@2 0 R@4 1, RP 0,   MAP 0
     * query 1 (R=2): 2 B, 0 A, 3 B, 4 A, 5 D (tie 0,3,4 at 0)      -> R@1 0 R@2 1 R@4 1, RP 1/2, MAP (1/2)/2
     * query 2 (R=1): 0 A, 1 A, 3 B, 4 A, 5 D (tie 0,1,3 at s)      -> R@1 0 R@2 0 R@4 1, RP 0,   MAP 0
     * query 3 (R=1): 0 A, 2 B, 1 A, 5 D, 4 A                       -> R@1 0 R@2 1 R@4 1, RP 0,   MAP 0
     * query 4 (R=2): 1 A, 5 D, 2 B, 0 A, 3 B (ties 1,5 at +-0; 0,3 at -1) -> R@1 1 R@2 1 R@4 1, RP 1/2, MAP 1/2
     * query 5: lone, excluded
     * </pre>
     */
    private static final float[][] SIX = {E, N, NE, E, W, SOUTH};
    private static final int[] SIX_LABELS = {A, A, B, B, A, D};

    @Test
    void handComputedOneSetProtocolWithTiesAndALoneQuery() {
        RetrievalReport r = RetrievalEvaluator.builder().recallAt(4, 1, 2).build()
                .evaluate(Nd4j.createFromArray(SIX), SIX_LABELS);
        assertEquals(RetrievalReport.Protocol.SAME_SET, r.protocol());
        assertEquals(6, r.queries());
        assertEquals(1, r.loneQueries());
        assertEquals(5, r.evaluatedQueries());
        assertEquals(3, r.galleryClasses());
        assertEquals(1.0 / 5, r.recallAt(1), 1e-15);
        assertEquals(3.0 / 5, r.recallAt(2), 1e-15);
        assertEquals(5.0 / 5, r.recallAt(4), 1e-15);
        assertEquals(1.0 / 5, r.precisionAt1(), 1e-15);
        assertEquals((0 + 1.0 / 2 + 0 + 0 + 1.0 / 2) / 5, r.rPrecision(), 1e-15);
        assertEquals((0 + 1.0 / 4 + 0 + 0 + 1.0 / 2) / 5, r.mapAtR(), 1e-15);
        assertEquals(2, r.neighboursPerQuery()); // top-R list, R = 2 at most; Recall@K needs none
    }

    @Test
    void handComputedSeparateSetsProtocol() {
        // queries: E (A), N (B), W (Z: absent from the gallery, lone); gallery: NE A, E B, N A, S B
        // query 0 (R=2): E B, NE A, N A, S B -> R@1 0, R@2 1, R@3 1, RP 1/2, MAP (1/2)/2
        // query 1 (R=2): N A, NE A, E B, S B -> R@1 0, R@2 0, R@3 1, RP 0,   MAP 0
        float[][] q = {E, N, W};
        float[][] g = {NE, E, N, SOUTH};
        RetrievalReport r = RetrievalEvaluator.builder().recallAt(1, 2, 3).build()
                .evaluate(Nd4j.createFromArray(q), new int[] {A, B, 99}, Nd4j.createFromArray(g), new int[] {A, B, A, B});
        assertEquals(RetrievalReport.Protocol.SEPARATE_SETS, r.protocol());
        assertEquals(1, r.loneQueries());
        assertEquals(4, r.gallerySize());
        assertEquals(0.0, r.recallAt(1), 0);
        assertEquals(1.0 / 2, r.recallAt(2), 1e-15);
        assertEquals(2.0 / 2, r.recallAt(3), 1e-15);
        assertEquals((1.0 / 2 + 0) / 2, r.rPrecision(), 1e-15);
        assertEquals((1.0 / 4 + 0) / 2, r.mapAtR(), 1e-15);
    }

    @Test
    void resultDoesNotDependOnTheBlockSizeOrScaleOfTheRows() {
        float[][] scaled = new float[SIX.length][];
        for (int i = 0; i < SIX.length; i++) {
            scaled[i] = new float[] {SIX[i][0] * (i + 1), SIX[i][1] * (i + 1)};
        }
        RetrievalReport ref = RetrievalEvaluator.builder().recallAt(1, 2, 4).build()
                .evaluate(Nd4j.createFromArray(SIX), SIX_LABELS);
        for (int block : new int[] {1, 2, 5}) {
            RetrievalReport r = RetrievalEvaluator.builder().recallAt(1, 2, 4).blockSize(block).build()
                    .evaluate(Nd4j.createFromArray(scaled), SIX_LABELS);
            assertEquals(ref.values(), r.values(), "block " + block);
        }
    }

    /** Unit vectors with exact float inner products (entries +-1/2 in 4 dimensions): many exact ties and duplicates. */
    private static float[][] signVectors(long seed, int n) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[][] x = new float[n][4];
        for (float[] row : x) {
            for (int j = 0; j < 4; j++) {
                row[j] = r.nextBoolean() ? 0.5f : -0.5f;
            }
        }
        return x;
    }

    private static int[] randomLabels(long seed, int n, int classes) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(classes);
        }
        return y;
    }

    /** Brute force: full ranking (similarity in double, ties by index), then the per-query metric functions. */
    private static double[] naive(float[][] q, int[] ql, float[][] g, int[] gl, boolean sameSet, int[] ks) {
        double[] sums = new double[ks.length + 3];
        int evaluated = 0;
        for (int i = 0; i < q.length; i++) {
            final int self = sameSet ? i : -1;
            double[] sim = new double[g.length];
            java.util.List<Integer> order = new java.util.ArrayList<>();
            int r = 0;
            for (int j = 0; j < g.length; j++) {
                for (int t = 0; t < q[i].length; t++) {
                    sim[j] += (double) q[i][t] * g[j][t];
                }
                if (j != self) {
                    order.add(j);
                    r += gl[j] == ql[i] ? 1 : 0;
                }
            }
            if (r == 0) {
                continue;
            }
            evaluated++;
            order.sort((a, b) -> sim[a] != sim[b] ? Double.compare(sim[b], sim[a]) : Integer.compare(a, b));
            int[] ranked = order.stream().mapToInt(j -> gl[j]).toArray();
            for (int t = 0; t < ks.length; t++) {
                sums[t] += RetrievalMetrics.recallAtK(ql[i], ranked, ks[t]);
            }
            sums[ks.length] += RetrievalMetrics.recallAtK(ql[i], ranked, 1);
            sums[ks.length + 1] += RetrievalMetrics.rPrecision(ql[i], ranked, r);
            sums[ks.length + 2] += RetrievalMetrics.mapAtR(ql[i], ranked, r);
        }
        for (int t = 0; t < sums.length; t++) {
            sums[t] /= evaluated;
        }
        return sums;
    }

    private static void assertMatchesNaive(double[] expected, RetrievalReport r, int[] ks, String where) {
        for (int t = 0; t < ks.length; t++) {
            assertEquals(expected[t], r.recallAt(ks[t]), 1e-12, where + " Recall@" + ks[t]);
        }
        assertEquals(expected[ks.length], r.precisionAt1(), 1e-12, where + " P@1");
        assertEquals(expected[ks.length + 1], r.rPrecision(), 1e-12, where + " R-Precision");
        assertEquals(expected[ks.length + 2], r.mapAtR(), 1e-12, where + " MAP@R");
    }

    @Test
    void blockedEvaluationEqualsBruteForceWithExactTies() {
        int[] ks = {1, 3, 10, 50, 120};
        float[][] x = signVectors(1, 131);
        int[] y = randomLabels(2, 131, 9);
        double[] expected = naive(x, y, x, y, true, ks);
        float[][] q = signVectors(3, 37);
        int[] ql = randomLabels(4, 37, 9);
        double[] expectedBetween = naive(q, ql, x, y, false, ks);
        for (int block : new int[] {1, 6, 64, 130, 131, 4096}) {
            RetrievalEvaluator ev = RetrievalEvaluator.builder().recallAt(ks).blockSize(block).build();
            assertMatchesNaive(expected, ev.evaluate(Nd4j.createFromArray(x), y), ks, "one set, block " + block);
            assertMatchesNaive(expectedBetween, ev.evaluate(Nd4j.createFromArray(q), ql, Nd4j.createFromArray(x), y), ks,
                    "separate sets, block " + block);
        }
    }

    @Test
    void blockedEvaluationEqualsBruteForceOnContinuousData() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(8);
        float[][] x = new float[400][24];
        for (float[] row : x) {
            double s = 0;
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) rnd.nextGaussian();
                s += row[j] * row[j];
            }
            for (int j = 0; j < row.length; j++) {
                row[j] /= (float) Math.sqrt(s);
            }
        }
        int[] y = randomLabels(9, 400, 40);
        int[] ks = {1, 2, 4, 8, 100};
        double[] expected = naive(x, y, x, y, true, ks);
        for (int block : new int[] {33, 4096}) {
            assertMatchesNaive(expected, RetrievalEvaluator.builder().recallAt(ks).blockSize(block).l2Normalize(false).build()
                    .evaluate(Nd4j.createFromArray(x), y), ks, "block " + block);
        }
    }

    @Test
    void inputIsNotModified() {
        INDArray x = Nd4j.createFromArray(new float[][] {{3, 4}, {0, 2}, {1, 0}});
        INDArray copy = x.dup();
        RetrievalEvaluator.builder().recallAt(1).build().evaluate(x, new int[] {1, 1, 2});
        assertEquals(copy, x);
    }

    @Test
    void reportTableAndJsonNameEveryMetricWithItsDefinition(@TempDir Path dir) throws Exception {
        RetrievalReport r = RetrievalEvaluator.builder().recallAt(1, 2).nmi(true).clusteringF1(true)
                .nmiNormalization(NmiNormalization.GEOMETRIC).seed(3).build()
                .evaluate(Nd4j.createFromArray(SIX), SIX_LABELS);
        String table = r.toTable();
        for (String name : new String[] {"Recall@1", "Recall@2", "Precision@1", "R-Precision", "MAP@R",
                "NMI (geometric)", "Clustering F1 (pairwise)", "lone and excluded 1"}) {
            assertTrue(table.contains(name), name + " in\n" + table);
        }
        Path file = dir.resolve("report.json");
        r.writeJson(file);
        r.writeJson(file); // replaces
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
        JsonNode json = new ObjectMapper().readTree(Files.readString(file));
        assertEquals(r.mapAtR(), json.get("metrics").get("MAP@R").asDouble(), 0);
        assertEquals(r.nmi(), json.get("metrics").get("NMI (geometric)").asDouble(), 0);
        assertEquals(1, json.get("counts").get("loneQueriesExcluded").asInt());
        assertEquals(3, json.get("kMeans").get("clusters").asInt());
        assertEquals(3, json.get("kMeans").get("seed").asInt());
        assertEquals("geometric", json.get("settings").get("nmiNormalization").asText());
    }

    @Test
    void metricsNotRequestedAreNotReported() {
        RetrievalReport r = RetrievalEvaluator.builder().metrics(RetrievalMetric.MAP_AT_R).build()
                .evaluate(Nd4j.createFromArray(SIX), SIX_LABELS);
        assertEquals(Map.of("MAP@R", (0 + 1.0 / 4 + 0 + 0 + 1.0 / 2) / 5), r.values());
        assertEquals(2, r.neighboursPerQuery()); // max R only
        IllegalStateException e = assertThrows(IllegalStateException.class, r::nmi);
        assertTrue(e.getMessage().contains("nmi(true)"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> r.recallAt(1));
        assertFalse(r.has(RetrievalMetric.NMI));
    }

    @Test
    void recallAtAnUnevaluatedKNamesTheEvaluatedOnes() {
        RetrievalReport r = RetrievalEvaluator.builder().recallAt(1, 2).build().evaluate(Nd4j.createFromArray(SIX), SIX_LABELS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.recallAt(8));
        assertTrue(e.getMessage().contains("[1, 2]"), e.getMessage());
    }

    private static void assertMessage(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' in: " + e.getMessage());
        }
    }

    @Test
    void nanIsNamedByRowAndColumn() {
        float[][] x = {E, N, {0, Float.NaN}, W};
        assertMessage(() -> RetrievalEvaluator.builder().recallAt(1).build().evaluate(Nd4j.createFromArray(x), new int[] {1, 1, 2, 2}),
                "NaN", "row 2, column 1");
    }

    @Test
    void labelLengthMismatch() {
        assertMessage(() -> RetrievalEvaluator.builder().build().evaluate(Nd4j.createFromArray(SIX), new int[] {1, 2}),
                "labels must have one entry per row of embeddings (6), found 2");
    }

    @Test
    void kLargerThanWhatAQuerySees() {
        assertMessage(() -> RetrievalEvaluator.builder().recallAt(1, 6).build().evaluate(Nd4j.createFromArray(SIX), SIX_LABELS),
                "(5: the set minus the query)", "K = 6");
        assertMessage(() -> RetrievalEvaluator.builder().recallAt(5).build().evaluate(Nd4j.createFromArray(new float[][] {E}),
                new int[] {A}, Nd4j.createFromArray(new float[][] {E, N, W, SOUTH}), new int[] {A, B, A, B}), "(4)", "K = 5");
    }

    @Test
    void galleryWithOneClass() {
        assertMessage(() -> RetrievalEvaluator.builder().recallAt(1).build().evaluate(Nd4j.createFromArray(SIX), new int[6]),
                "at least 2 classes, found 1");
    }

    @Test
    void emptySet() {
        assertMessage(() -> RetrievalEvaluator.builder().build().evaluate(Nd4j.create(DataType.FLOAT, 0, 4), new int[0]),
                "embeddings must not be empty");
    }

    @Test
    void everyQueryLone() {
        assertMessage(() -> RetrievalEvaluator.builder().recallAt(1).build().evaluate(Nd4j.createFromArray(new float[][] {E, N}),
                new int[] {1, 2}, Nd4j.createFromArray(new float[][] {E, N}), new int[] {3, 4}), "every query is lone");
    }

    @Test
    void zeroRowCannotBeNormalised() {
        assertMessage(() -> RetrievalEvaluator.builder().recallAt(1).build().evaluate(
                Nd4j.createFromArray(new float[][] {E, {0, 0}, N}), new int[] {1, 1, 2}), "row 1", "non-zero L2 norm");
    }

    @Test
    void withoutNormalisationRowsMustBeUnit() {
        assertMessage(() -> RetrievalEvaluator.builder().recallAt(1).l2Normalize(false).build().evaluate(
                Nd4j.createFromArray(new float[][] {E, {0, 2}, N}), new int[] {1, 1, 2}), "row 1", "2.000000", "l2Normalize(true)");
    }

    @Test
    void builderValidates() {
        assertMessage(() -> RetrievalEvaluator.builder().recallAt(0, 1).build(), "recallAt values must be >= 1, found 0");
        assertMessage(() -> RetrievalEvaluator.builder().recallAt(2, 2).build(), "distinct, found 2 twice");
        assertMessage(() -> RetrievalEvaluator.builder().recallAt().build(), "at least one K");
        assertMessage(() -> RetrievalEvaluator.builder().metrics().build(), "at least one metric");
        assertMessage(() -> RetrievalEvaluator.builder().blockSize(0).build(), "blockSize must be >= 1, found 0");
        assertMessage(() -> RetrievalEvaluator.builder().kMeansRestarts(0).build(), "k-means restarts must be >= 1, found 0");
        assertMessage(() -> RetrievalEvaluator.builder().kMeansTolerance(Double.NaN).build(), "tolerance must be finite");
    }

    @Test
    void settingsSurviveJsonAndJavaSerialisationAndEqualityComparesThemAll() throws Exception {
        RetrievalEvaluator e = RetrievalEvaluator.builder().recallAt(10, 1).metrics(RetrievalMetric.MAP_AT_R,
                        RetrievalMetric.NMI).nmiNormalization(NmiNormalization.MAX).kMeansMaxIterations(7)
                .kMeansTolerance(0.5).kMeansRestarts(3).seed(99).blockSize(64).l2Normalize(false).build();
        ObjectMapper mapper = org.nd4j.serde.json.JsonMappers.getMapper(); // field visibility ANY: the annotations decide
        String json = mapper.writeValueAsString(e);
        assertEquals(e, mapper.readValue(json, RetrievalEvaluator.class));
        assertEquals(e, new ObjectMapper().readValue(new ObjectMapper().writeValueAsString(e), RetrievalEvaluator.class));
        JsonNode tree = new ObjectMapper().readTree(json);
        assertEquals(java.util.List.of("recallAt", "metrics", "nmiNormalization", "kMeansMaxIterations", "kMeansTolerance",
                "kMeansRestarts", "seed", "blockSize", "l2Normalize"), iterable(tree.fieldNames()));
        assertEquals("[1,10]", tree.get("recallAt").toString());

        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(e);
        }
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(e, in.readObject());
        }
        assertEquals(e.hashCode(), RetrievalEvaluator.builder().recallAt(1, 10).metrics(RetrievalMetric.NMI,
                        RetrievalMetric.MAP_AT_R).nmiNormalization(NmiNormalization.MAX).kMeansMaxIterations(7)
                .kMeansTolerance(0.5).kMeansRestarts(3).seed(99).blockSize(64).l2Normalize(false).build().hashCode());
        assertFalse(e.equals(RetrievalEvaluator.builder().build()));
        assertMessage(() -> {
            try {
                mapper.readValue("{\"kMeansRestarts\" : 0}", RetrievalEvaluator.class);
            } catch (java.io.IOException io) {
                throw (RuntimeException) io.getCause();
            }
        }, "k-means restarts must be >= 1, found 0");
    }

    private static java.util.List<String> iterable(java.util.Iterator<String> it) {
        java.util.List<String> list = new java.util.ArrayList<>();
        it.forEachRemaining(list::add);
        return list;
    }
}
