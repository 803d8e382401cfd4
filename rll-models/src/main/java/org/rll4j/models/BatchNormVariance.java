package org.rll4j.models;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * DL4J batch normalisation stores its running variance either as {@code var} or, by default, as
 * {@code log10stdev = log10(sqrt(var)) = 0.5 log10(var)}; weight importers convert between the two here.
 */
final class BatchNormVariance {

    private BatchNormVariance() {
    }

    /** {@code 0.5 * log10(var)}, a new array. */
    static INDArray toLog10Std(INDArray variance) {
        return Transforms.log(variance, 10.0, true).muli(0.5);
    }

    /** {@code (10^log10std)^2 = exp(2 ln(10) log10std)}, a new array. */
    static INDArray toVariance(INDArray log10Std) {
        return Transforms.exp(log10Std.mul(2.0 * Math.log(10.0)), false);
    }
}
