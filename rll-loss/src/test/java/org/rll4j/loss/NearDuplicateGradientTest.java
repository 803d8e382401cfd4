package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The gradient of batches with near-duplicate embeddings against {@link HighPrecisionGradient} (40-digit
 * arithmetic from the same raw inputs). Each batch holds a near-duplicate negative pair and a near-duplicate
 * positive pair at normalised distance {@code d}; the positive pair violates only under the second
 * configuration ({@code m = alpha}, so every positive pair violates). Error measure: {@code max |g - g_ref|
 * / max |g_ref|} over the whole {@code [B, D]} gradient of the batch mean.
 *
 * <p>Tolerances: FLOAT {@value #FLOAT_TOL}, DOUBLE {@value #DOUBLE_TOL}, whatever {@code d}. What remains
 * once the close pairs are out of the GEMM is the GEMM's rounding over the other pairs ({@code d >= 0.1},
 * coefficients {@code |c| <= 10 |M_kj + M_jk|}), about {@code eps * sum_j |c_kj|}: measured 0.9-2.7e-7
 * (FLOAT) and 0.8-2.2e-15 (DOUBLE) with OpenBLAS on x86-64, so the tolerances leave a factor of about 40
 * resp. 400 for other BLAS builds. Close pairs through the GEMM give an error of about {@code eps / d}
 * (FLOAT: 3e-5 of max |g| at d = 1e-3, 4-12% at 5e-7; DOUBLE: 8e-11 at 1e-3); close-pair differences of the
 * double-rounded normalised rows, {@code 1e-16 / d} (DOUBLE: 3e-9 at 1e-8).
 */
class NearDuplicateGradientTest {

    static final double FLOAT_TOL = 1e-5;
    static final double DOUBLE_TOL = 1e-12;

    static Stream<Arguments> cases() {
        List<RankedListLossConfig> configs = List.of(
                RankedListLossConfig.paper(),
                RankedListLossConfig.builder().alpha(1.2).margin(1.2).tn(10).tp(5).lambda(0.5).build());
        List<Arguments> out = new ArrayList<>();
        for (double d : new double[] {1e-3, 1e-5, 5e-7, 1e-8}) {
            for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                for (RankedListLossConfig.WeightGradient mode : RankedListLossConfig.WeightGradient.values()) {
                    for (int c = 0; c < configs.size(); c++) {
                        out.add(Arguments.of(d, dt, mode, c, configs.get(c).toBuilder().weightGradient(mode).build()));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "d={0} {1} {2} cfg{3}")
    @MethodSource("cases")
    void gradientMatchesTheHighPrecisionReference(double d, DataType dt, RankedListLossConfig.WeightGradient mode,
                                                  int cfgIndex, RankedListLossConfig cfg) {
        EmbeddingFixtures.Batch base = EmbeddingFixtures.balanced(40 + cfgIndex, 6, 4, 32, 0.8);
        EmbeddingFixtures.Batch batch = base
                .withNearCopy(1, 0, (base.labels()[0] + 1) % 6, d, 1.7, 1)
                .withNearCopy(5, 4, base.labels()[4], d, 0.6, 2);
        if (dt == DataType.FLOAT) {
            batch = batch.roundedToFloat();
        }
        double[][] e = ReferenceRankedListLoss.normalize(batch.x());
        for (int[] pair : new int[][] {{0, 1}, {4, 5}}) {
            double actual = ReferenceRankedListLoss.distance(e[pair[0]], e[pair[1]]);
            // FLOAT: rounding the coordinates moves a row by up to a few 1e-8, so d = 1e-8 becomes 1e-8 to 1e-7
            assertTrue(actual > 0 && actual < 10 * d, "rows " + pair[0] + ", " + pair[1] + " lie " + actual + " apart");
        }
        double[][] expected = HighPrecisionGradient.of(batch.x(), batch.labels(), cfg);
        double[][] got = RankedListLoss.create(cfg, dt)
                .gradient(batch.features(dt), batch.labelColumn(dt)).castTo(DataType.DOUBLE).toDoubleMatrix();
        double scale = 0;
        double err = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int k = 0; k < expected[i].length; k++) {
                scale = Math.max(scale, Math.abs(expected[i][k]));
                err = Math.max(err, Math.abs(got[i][k] - expected[i][k]));
            }
        }
        double tol = dt == DataType.FLOAT ? FLOAT_TOL : DOUBLE_TOL;
        assertTrue(scale > 0, "the batch must have a gradient");
        assertTrue(err <= tol * scale, String.format(java.util.Locale.ROOT,
                "max |g - g_ref| = %.3g = %.3g of max |g_ref| (%.3g); tolerance %.0g", err, err / scale, scale, tol));
    }
}
