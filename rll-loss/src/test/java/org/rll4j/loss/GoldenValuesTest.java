package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Golden values: six unit vectors at 0, 30, 100, 180, 200 and 270 degrees with labels
 * [0, 0, 0, 1, 1, 2], computed once by a brute-force double loop in double precision.
 */
class GoldenValuesTest {

    static final double[] ANGLES_DEG = {0, 30, 100, 180, 200, 270};
    static final long[] LABELS = {0, 0, 0, 1, 1, 2};

    static double[][] vectors() {
        double[][] x = new double[ANGLES_DEG.length][];
        for (int i = 0; i < x.length; i++) {
            double a = Math.toRadians(ANGLES_DEG[i]);
            x[i] = new double[] {Math.cos(a), Math.sin(a)};
        }
        return x;
    }

    static INDArray labelColumn() {
        return Nd4j.createFromArray(LABELS).castTo(DataType.DOUBLE).reshape(-1, 1);
    }

    static final RankedListLossConfig PAPER = RankedListLossConfig.builder()
            .alpha(1.2).margin(0.4).tn(10).tp(0).lambda(1).build();
    static final RankedListLossConfig TP5_HALF_LAMBDA = PAPER.toBuilder().tp(5).lambda(0.5).build();

    @Test
    void paperSettingMatchesTheDesignDocExactly() {
        RankedListLoss loss = RankedListLoss.create(PAPER, DataType.DOUBLE);
        INDArray x = Nd4j.createFromArray(vectors());
        assertEquals(0.2874261488343148, loss.mean(x, labelColumn()), 1e-12);
        assertArrayEquals(new double[] {0.73208889, 0.34715287, 0.53962088, 0, 0.05284713, 0.05284713},
                loss.perQuery(x, labelColumn()).toDoubleVector(), 5e-9); // the doc prints 8 decimals
    }

    @Test
    void positiveTemperatureAndLambdaMatchTheDesignDocExactly() {
        RankedListLoss loss = RankedListLoss.create(TP5_HALF_LAMBDA, DataType.DOUBLE);
        INDArray x = Nd4j.createFromArray(vectors());
        assertEquals(0.30252663247048184, loss.mean(x, labelColumn()), 1e-12);
        assertArrayEquals(new double[] {0.73208889, 0.34715287, 0.68307091, 0, 0.02642356, 0.02642356},
                loss.perQuery(x, labelColumn()).toDoubleVector(), 5e-9);
    }

    @Test
    void referenceImplementationReproducesTheGoldenValues() {
        assertEquals(0.2874261488343148, ReferenceRankedListLoss.mean(vectors(), LABELS, PAPER), 1e-12);
        assertEquals(0.30252663247048184, ReferenceRankedListLoss.mean(vectors(), LABELS, TP5_HALF_LAMBDA), 1e-12);
    }

    @Test
    void scaledInputsGiveTheSameLossBecauseTheLayerNormalises() {
        double[][] x = vectors();
        for (int i = 0; i < x.length; i++) {
            for (int k = 0; k < 2; k++) {
                x[i][k] *= 0.5 + i;
            }
        }
        RankedListLoss loss = RankedListLoss.create(PAPER, DataType.DOUBLE);
        assertEquals(0.2874261488343148, loss.mean(Nd4j.createFromArray(x), labelColumn()), 1e-12);
    }
}
