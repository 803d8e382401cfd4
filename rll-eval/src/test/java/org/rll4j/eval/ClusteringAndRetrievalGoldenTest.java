package org.rll4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Values from {@code sklearn-golden.json}, written once by {@code src/test/python/make_sklearn_golden.py}
 * (scikit-learn 1.2.1: {@code normalized_mutual_info_score}, {@code pair_confusion_matrix}; an
 * independent numpy brute force for the retrieval metrics).
 */
class ClusteringAndRetrievalGoldenTest {

    private static JsonNode golden() {
        try (InputStream in = ClusteringAndRetrievalGoldenTest.class.getResourceAsStream("sklearn-golden.json")) {
            return new ObjectMapper().readTree(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Stream<Arguments> clusteringCases() {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : golden().get("clustering")) {
            out.add(Arguments.of(c.get("name").asText(), c));
        }
        return out.stream();
    }

    static Stream<Arguments> retrievalCases() {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : golden().get("retrieval")) {
            out.add(Arguments.of(c.get("name").asText(), c));
        }
        return out.stream();
    }

    private static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asInt();
        }
        return v;
    }

    private static INDArray matrix(JsonNode a) {
        float[][] v = new float[a.size()][];
        for (int i = 0; i < v.length; i++) {
            v[i] = new float[a.get(i).size()];
            for (int j = 0; j < v[i].length; j++) {
                v[i][j] = (float) a.get(i).get(j).asDouble();
            }
        }
        return Nd4j.createFromArray(v);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clusteringCases")
    void nmiAndPairwiseF1MatchScikitLearn(String name, JsonNode c) {
        int[] truth = ints(c.get("truth"));
        int[] clusters = ints(c.get("clusters"));
        for (NmiNormalization n : NmiNormalization.values()) {
            assertEquals(c.get("nmi").get(n.label()).asDouble(), ClusteringMetrics.nmi(truth, clusters, n), 1e-12, n.label());
        }
        assertEquals(c.get("pairwiseF1").asDouble(), ClusteringMetrics.pairwiseF1(truth, clusters), 1e-12);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("retrievalCases")
    void retrievalMetricsMatchTheNumpyBruteForce(String name, JsonNode c) {
        int[] ks = ints(c.get("ks"));
        RetrievalEvaluator ev = RetrievalEvaluator.builder().recallAt(ks).blockSize(7).build();
        INDArray q = matrix(c.get("queries"));
        int[] ql = ints(c.get("queryLabels"));
        RetrievalReport r = c.get("sameSet").asBoolean() ? ev.evaluate(q, ql)
                : ev.evaluate(q, ql, matrix(c.get("gallery")), ints(c.get("galleryLabels")));
        for (int k : ks) {
            assertEquals(c.get("recallAt").get(String.valueOf(k)).asDouble(), r.recallAt(k), 1e-12, "Recall@" + k);
        }
        assertEquals(c.get("precisionAt1").asDouble(), r.precisionAt1(), 1e-12);
        assertEquals(c.get("rPrecision").asDouble(), r.rPrecision(), 1e-12);
        assertEquals(c.get("mapAtR").asDouble(), r.mapAtR(), 1e-12);
        assertEquals(c.get("loneQueries").asInt(), r.loneQueries());
        assertEquals(DataType.FLOAT, q.dataType());
    }
}
