package org.rll4j.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LabelEncodingTest {

    @Test
    void classIdsBecomeAColumnOfTheAskedType() {
        INDArray y = LabelEncoding.CLASS_IDS.encode(Nd4j.createFromArray(2, 0, 1), 3, DataType.FLOAT);
        assertEquals(DataType.FLOAT, y.dataType());
        assertArrayEquals(new long[] {3, 1}, y.shape());
        assertArrayEquals(new float[] {2, 0, 1}, y.toFloatVector());
    }

    @Test
    void oneHotRowsHaveASingleOneInTheClassColumn() {
        INDArray ids = Nd4j.createFromArray(2f, 0f, 1f, 2f).reshape(4, 1);
        INDArray y = LabelEncoding.ONE_HOT.encode(ids, 4, DataType.DOUBLE);
        assertEquals(DataType.DOUBLE, y.dataType());
        assertArrayEquals(new double[][] {{0, 0, 1, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}, y.toDoubleMatrix());
        assertArrayEquals(new long[] {2, 0, 1, 2}, LabelIds.classIds(y, "test"));
    }

    @ParameterizedTest
    @EnumSource(LabelEncoding.class)
    void anEmptyBatchHasNoRowsAndTheEncodingsWidth(LabelEncoding encoding) {
        INDArray y = encoding.encode(Nd4j.create(DataType.FLOAT, 0), 5, DataType.FLOAT);
        assertArrayEquals(new long[] {0, encoding.width(5)}, y.shape());
    }

    @ParameterizedTest
    @EnumSource(LabelEncoding.class)
    void idsOutsideTheClassesAreRejectedWithTheirRange(LabelEncoding encoding) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> encoding.encode(Nd4j.createFromArray(0, 3), 3, DataType.FLOAT));
        assertEquals("class ids must be in [0, 3) (numClasses), found ids from 0.0 to 3.0", e.getMessage());
    }

    @Test
    void aMatrixIsNotClassIds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LabelEncoding.ONE_HOT.encode(Nd4j.zeros(DataType.FLOAT, 2, 3), 3, DataType.FLOAT));
        assertEquals("classIds must be a vector [B] or a column [B, 1], found shape [2, 3]", e.getMessage());
    }
}
