package org.rll4j.loss;

import java.util.List;
import java.util.Map;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Test support: the shipped {@link SameDiffRankedListLoss} graph on two placeholders, fed with plain arrays, so that
 * its loss and its autodiff gradient can be compared with the kernel and the brute-force reference.
 */
final class SameDiffHarness {

    private static final String INPUT = "input";
    private static final String LABELS = "labels";

    private final SameDiff sd;
    private final DataType dataType;
    private final SameDiffRankedListLoss.Outputs outputs;

    SameDiffHarness(RankedListLossConfig cfg, DataType dataType) {
        this.dataType = dataType;
        sd = SameDiff.create();
        SDVariable input = sd.placeHolder(INPUT, dataType, -1, -1);
        SDVariable labels = sd.placeHolder(LABELS, dataType, -1, 1);
        outputs = SameDiffRankedListLoss.add(sd, input, labels, cfg);
        GradFunctions.create(sd, INPUT);
    }

    /** Per-query losses {@code L(i)}. */
    double[] perQuery(double[][] rawX, long[] labels) {
        return sd.outputSingle(placeholders(rawX, labels), outputs.perQuery().name()).castTo(DataType.DOUBLE).toDoubleVector();
    }

    /** The batch mean. */
    double mean(double[][] rawX, long[] labels) {
        return sd.outputSingle(placeholders(rawX, labels), outputs.loss().name()).getDouble(0);
    }

    /** Autodiff gradient of the batch mean with respect to the raw embeddings. */
    double[][] gradientOfMean(double[][] rawX, long[] labels) {
        INDArray g = sd.calculateGradients(placeholders(rawX, labels), List.of(INPUT)).get(INPUT);
        return g.castTo(DataType.DOUBLE).reshape(rawX.length, rawX[0].length).toDoubleMatrix();
    }

    private Map<String, INDArray> placeholders(double[][] rawX, long[] labels) {
        return Map.of(INPUT, Nd4j.createFromArray(rawX).castTo(dataType),
                LABELS, Nd4j.createFromArray(labels).castTo(dataType).reshape(-1, 1));
    }
}
