package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The vectorised SameDiff loss against the independent brute-force {@link ReferenceRankedListLoss}
 * on seeded random batches: sweeps over alpha, m, T_n, T_p, lambda and batch compositions, in
 * double (rtol 1e-10) and float (rtol 1e-5, inputs rounded to float for both sides).
 */
class ReferenceAgreementTest {

    record Case(String name, RankedListLossConfig cfg, int[] classSizes, int dim, double noise, long seed) {
        @Override
        public String toString() {
            return name + " seed=" + seed;
        }
    }

    static Stream<Arguments> cases() {
        List<RankedListLossConfig> configs = List.of(
                RankedListLossConfig.paper(),
                RankedListLossConfig.cub(),
                RankedListLossConfig.inShop(),
                RankedListLossConfig.simpler(0.6, 5),
                RankedListLossConfig.builder().alpha(1.0).margin(0.0).tn(0).tp(0).build(),
                RankedListLossConfig.builder().alpha(1.4).margin(1.4).tn(15).tp(3).lambda(0.5).build(),
                RankedListLossConfig.builder().alpha(0.9).margin(0.3).tn(-5).tp(-2).lambda(2).build(),
                RankedListLossConfig.builder().tn(50).tp(20).lambda(0).build());
        List<int[]> compositions = List.of(
                new int[] {3, 3, 3, 3, 3, 3},        // C x K, K = 3 (the paper)
                new int[] {2, 2, 2, 2, 2, 2, 2, 2},  // K = 2 (emoji)
                new int[] {5, 1, 3, 2, 1, 7},        // unbalanced, singleton classes
                new int[] {4, 4, 4, 4, 4});
        int[] dims = {2, 8, 32};
        List<Arguments> out = new ArrayList<>();
        long seed = 1;
        for (int c = 0; c < configs.size(); c++) {
            for (int b = 0; b < compositions.size(); b++) {
                int dim = dims[(c + b) % dims.length];
                double noise = 0.3 + 0.2 * ((c * 7 + b) % 4);
                for (int s = 0; s < 3; s++) {
                    out.add(Arguments.of(new Case("cfg" + c + "/batch" + b + "/D" + dim, configs.get(c),
                            compositions.get(b), dim, noise, seed++)));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void doubleMatchesReferenceWithin1e10(Case c) {
        EmbeddingFixtures.Batch batch = EmbeddingFixtures.withClassSizes(c.seed(), c.classSizes(), c.dim(), c.noise());
        compare(c.cfg(), batch, DataType.DOUBLE, 1e-10, 1e-13);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void floatMatchesReferenceWithin1e5(Case c) {
        EmbeddingFixtures.Batch batch = EmbeddingFixtures.withClassSizes(c.seed(), c.classSizes(), c.dim(), c.noise())
                .roundedToFloat();
        compare(c.cfg(), batch, DataType.FLOAT, 1e-5, 1e-6);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void constantWeightGradientMatchesHandDerivedReference(Case c) {
        RankedListLossConfig cfg = c.cfg().toBuilder().weightGradient(RankedListLossConfig.WeightGradient.CONSTANT).build();
        EmbeddingFixtures.Batch batch = EmbeddingFixtures.withClassSizes(c.seed(), c.classSizes(), c.dim(), c.noise());
        double[][] expected = ReferenceRankedListLoss.gradientConstantWeights(batch.x(), batch.labels(), cfg);
        double[][] actual = RankedListLoss.create(cfg, DataType.DOUBLE)
                .gradient(batch.features(DataType.DOUBLE), batch.labelColumn(DataType.DOUBLE)).toDoubleMatrix();
        double scale = maxAbs(expected);
        for (int i = 0; i < expected.length; i++) {
            for (int k = 0; k < expected[i].length; k++) {
                assertEquals(expected[i][k], actual[i][k], 1e-9 * scale + 1e-14, "dL/dx[" + i + "][" + k + "]");
            }
        }
    }

    private static void compare(RankedListLossConfig cfg, EmbeddingFixtures.Batch batch, DataType dt, double rtol, double atol) {
        double[] expected = ReferenceRankedListLoss.perQuery(batch.x(), batch.labels(), cfg);
        RankedListLoss loss = RankedListLoss.create(cfg, dt);
        INDArray perQuery = loss.perQuery(batch.features(dt), batch.labelColumn(dt));
        double[] actual = perQuery.castTo(DataType.DOUBLE).toDoubleVector();
        double expectedMean = 0;
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], rtol * Math.abs(expected[i]) + atol, "L(" + i + ")");
            expectedMean += expected[i] / expected.length;
        }
        assertTrue(expectedMean > 0, "the batch must exercise the loss (some violating pairs)");
        double mean = loss.mean(batch.features(dt), batch.labelColumn(dt));
        assertEquals(expectedMean, mean, rtol * expectedMean, "mean loss");
    }

    private static double maxAbs(double[][] a) {
        double m = 0;
        for (double[] r : a) {
            for (double v : r) {
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }
}
