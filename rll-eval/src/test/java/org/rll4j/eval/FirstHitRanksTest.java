package org.rll4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The observer contract of {@link FirstHitRanks} with hand-made tile rows: the search counts the items
 * above the window, offers those inside it, then passes the row. End to end (through the blocked search)
 * the ranks are checked against brute force in {@link RetrievalEvaluatorTest}.
 */
class FirstHitRanksTest {

    /** x0 = (1, 0), x1 = (0.6, 0.8), x2 = (0, 1), x3 = (-1, 0); classes 0, 0, 1, 1. Query 0: s+ = 0.6. */
    private static FirstHitRanks ranks() {
        INDArray x = Nd4j.createFromArray(new float[][] {{1, 0}, {0.6f, 0.8f}, {0, 1}, {-1, 0}});
        int[] labels = {0, 0, 1, 1};
        return new FirstHitRanks(x, labels, x, labels, true);
    }

    @Test
    void windowAroundTheBestSameClassSimilarity() {
        FirstHitRanks f = ranks();
        assertTrue(f.lower(0) < 0.6f && f.upper(0) > 0.6f, "window [" + f.lower(0) + ", " + f.upper(0) + "] holds 0.6");
        assertTrue(f.upper(0) - f.lower(0) < 1e-4f, "window is a few ulps wide, found " + (f.upper(0) - f.lower(0)));
    }

    @Test
    void countAboveTheWindowPlusListedItemsRankedBefore() {
        FirstHitRanks f = ranks();
        // a tile row in which another class's item (index 2) beats the same-class one (index 1)
        float[] row = {Float.NEGATIVE_INFINITY, 0.6f, 0.9f, -1f};
        f.startBlock(0, 1);
        f.offer(0, 0.6f, 1); // inside the window
        f.rowScanned(0, 1, row, 0, 4); // one item above it
        f.endBlock(0, 1);
        assertEquals(2, f.ranks()[0]);
    }

    @Test
    void countsAddUpOverTiles() {
        FirstHitRanks f = ranks();
        f.startBlock(0, 1);
        f.rowScanned(0, 0, new float[] {Float.NEGATIVE_INFINITY}, 0, 1); // tile [0, 1): the query itself
        f.offer(0, 0.6f, 1);
        f.rowScanned(0, 2, new float[] {0.6f, 0.7f, 0.8f}, 1, 3); // tile [1, 4): indices 2, 3 above the window
        f.endBlock(0, 1);
        assertEquals(3, f.ranks()[0]);
    }

    @Test
    void sameClassItemAboveTheWindowIsAnErrorNotAWrongRank() {
        FirstHitRanks f = ranks();
        // as if the GEMM had put the same-class item far outside the error bound
        float[] row = {Float.NEGATIVE_INFINITY, 0.7f, 0.0f, -1f};
        f.startBlock(0, 1);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.rowScanned(0, 1, row, 0, 4));
        assertTrue(e.getMessage().contains("query 0") && e.getMessage().contains("0.7") && e.getMessage().contains("bound"),
                e.getMessage());
    }

    @Test
    void noSameClassItemInTheWindowIsAnError() {
        FirstHitRanks f = ranks();
        float[] row = {Float.NEGATIVE_INFINITY, 0.5f, 0.0f, -1f}; // below the window: never offered
        f.startBlock(0, 1);
        f.rowScanned(0, 0, row, 0, 4);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.endBlock(0, 1));
        assertTrue(e.getMessage().contains("query 0") && e.getMessage().contains("none in the window"), e.getMessage());
    }
}
