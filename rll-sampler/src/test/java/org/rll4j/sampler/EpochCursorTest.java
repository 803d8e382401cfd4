package org.rll4j.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.NoSuchElementException;

import org.junit.jupiter.api.Test;

class EpochCursorTest {

    /** 7 examples in batches of 3: every epoch is [0, 1, 2], [3, 4, 5], [6]. */
    private static final BatchSampler SEVEN_BY_THREE = new SequentialBatchSampler(7, 3);

    @Test
    void itHandsOutTheEpochsBatchesInOrderAndCountsThem() {
        EpochCursor cursor = new EpochCursor(SEVEN_BY_THREE, 4, 1);
        assertEquals(4, cursor.epoch());
        assertEquals(3, cursor.batchesInEpoch());
        assertArrayEquals(new int[] {6}, cursor.batch(2), "batch(b) looks ahead without moving");
        assertEquals(1, cursor.batchInEpoch());
        assertArrayEquals(new int[] {3, 4, 5}, cursor.next());
        assertArrayEquals(new int[] {6}, cursor.next());
        assertFalse(cursor.hasNext());
        NoSuchElementException over = assertThrows(NoSuchElementException.class, cursor::next);
        assertEquals("epoch 4 is over (3 batches); call reset() for the next epoch", over.getMessage());
        cursor.nextEpoch();
        assertEquals(5, cursor.epoch());
        assertEquals(0, cursor.batchInEpoch());
        assertArrayEquals(new int[] {0, 1, 2}, cursor.next());
    }

    @Test
    void aCursorAtTheEndOfAnEpochGoesOnWithTheNext() {
        EpochCursor cursor = new EpochCursor(SEVEN_BY_THREE, 0, 3);
        assertFalse(cursor.hasNext());
        cursor.nextEpoch();
        assertEquals(1, cursor.epoch());
    }

    @Test
    void aNegativeEpochIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EpochCursor(SEVEN_BY_THREE, -1, 0));
        assertEquals("firstEpoch must be >= 0, found -1", e.getMessage());
    }

    @Test
    void aNegativeBatchIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EpochCursor(SEVEN_BY_THREE, 0, -2));
        assertEquals("firstBatch must be >= 0, found -2", e.getMessage());
    }

    @Test
    void aBatchPastTheEpochIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EpochCursor(SEVEN_BY_THREE, 2, 4));
        assertEquals("firstBatch 4 is past the end of epoch 2, which has 3 batches", e.getMessage());
    }
}
