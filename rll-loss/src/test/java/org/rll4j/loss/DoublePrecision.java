package org.rll4j.loss;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * JUnit extension for gradient checks: ND4J's default data types are DOUBLE for the test class (DL4J's
 * {@code GradientCheckUtil} needs it), and the previous defaults come back afterwards.
 */
final class DoublePrecision implements BeforeAllCallback, AfterAllCallback {

    private DataType previous;
    private DataType previousFloat;

    @Override
    public void beforeAll(ExtensionContext context) {
        previous = Nd4j.dataType();
        previousFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Nd4j.setDefaultDataTypes(previous, previousFloat);
    }
}
