package org.rll4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

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
    void recallComesFromTheRankOfTheFirstHit() {
        assertEquals(3, RetrievalMetrics.firstHitRank(1, new int[] {0, 0, 1, 1}, 4));
        assertEquals(3, RetrievalMetrics.firstHitRank(1, new int[] {0, 0, 1, 1}, 2)); // none in the first 2: limit + 1
        assertEquals(0.0, RetrievalMetrics.hitWithinK(3, 2), 0);
        assertEquals(1.0, RetrievalMetrics.hitWithinK(3, 3), 0);
        assertEquals(1.0, RetrievalMetrics.hitWithinK(1, 1000), 0);
        assertThrows(IllegalArgumentException.class, () -> RetrievalMetrics.hitWithinK(0, 1));
    }

    @Test
    void loneQueryIsRejectedWithAReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RetrievalMetrics.mapAtR(1, new int[] {0}, 0));
        assertTrue(e.getMessage().contains("must be excluded"), e.getMessage());
    }
}
