package org.rll4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class RetrievalMetricsTest {

    @Test
    void mapAtRFromMusgraveEtAlDefinition() {
        // query class 1, R = 3, ranking 1 0 1 | 1: P@1 = 1, P@3 = 2/3 -> (1 + 2/3) / 3
        assertEquals((1 + 2.0 / 3) / 3, RetrievalMetrics.mapAtR(1, new int[] {1, 0, 1, 1}, 3), 1e-15);
        // hits at 2 and 3 only: (1/2 + 2/3) / 3
        assertEquals((1.0 / 2 + 2.0 / 3) / 3, RetrievalMetrics.mapAtR(1, new int[] {0, 1, 1}, 3), 1e-15);
        assertEquals(1.0, RetrievalMetrics.mapAtR(2, new int[] {2, 2}, 2), 0);
        assertEquals(0.0, RetrievalMetrics.mapAtR(2, new int[] {0, 1, 2}, 2), 0);
    }

    @Test
    void rPrecisionAndRecall() {
        assertEquals(2.0 / 3, RetrievalMetrics.rPrecision(1, new int[] {1, 0, 1, 1}, 3), 1e-15);
        assertEquals(0.0, RetrievalMetrics.recallAtK(1, new int[] {0, 0, 1}, 2), 0);
        assertEquals(1.0, RetrievalMetrics.recallAtK(1, new int[] {0, 0, 1}, 3), 0);
    }

    @Test
    void loneQueryIsRejectedWithAReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RetrievalMetrics.mapAtR(1, new int[] {0}, 0));
        assertTrue(e.getMessage().contains("must be excluded"), e.getMessage());
    }

    @Test
    void neighboursExcludeTheQueryAndBreakTiesByIndex() {
        // four points on a line of unit vectors: 0 and 1 identical, 2 close, 3 opposite
        double[][] x = {{1, 0}, {1, 0}, {0.8, 0.6}, {-1, 0}};
        int[] labels = {7, 8, 9, 10};
        int[][] ranked = ExactNeighbours.rankedLabels(Nd4j.createFromArray(x), labels, 3);
        assertArrayEquals(new int[] {8, 9, 10}, ranked[0]);
        assertArrayEquals(new int[] {7, 9, 10}, ranked[1]);
        assertArrayEquals(new int[] {7, 8, 10}, ranked[2]); // tie between 0 and 1 -> index 0 first
    }

    @Test
    void meanMapAtRSkipsLoneQueries() {
        double[][] x = {{1, 0}, {0.9, 0.43588989}, {-1, 0}, {0, 1}};
        int[] labels = {0, 0, 1, 2};
        // queries 0 and 1 find each other first: MAP@R = 1; queries 2 and 3 are alone in their class
        assertEquals(1.0, ExactNeighbours.meanMapAtR(Nd4j.createFromArray(x), labels), 1e-15);
    }
}
