package org.rll4j.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class LabelIdsTest {

    @Test
    void intClassIdsReadIdsAndOneHotAlike() {
        assertArrayEquals(new int[] {2, 0, 1}, LabelIds.intClassIds(Nd4j.createFromArray(2.0, 0.0, 1.0).reshape(3, 1), "t"));
        assertArrayEquals(new int[] {2, 0, 1}, LabelIds.intClassIds(Nd4j.createFromArray(new double[][] {
                {0, 0, 1}, {1, 0, 0}, {0, 1, 0}}), "t"));
    }

    @Test
    void intClassIdsNameTheRowOutsideTheIntRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelIds.intClassIds(
                Nd4j.createFromArray(1.0, 3_000_000_000.0).castTo(DataType.DOUBLE).reshape(2, 1), "ctx"));
        assertEquals("ctx: labels row 1 must be a class id in the int range, found 3000000000; renumber the classes",
                e.getMessage());
    }
}
