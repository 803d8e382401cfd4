package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One definition of the mathematics: the shipped SameDiff graph ({@link SameDiffRankedListLoss}, differentiated by
 * SameDiff), the hand-derived kernel behind {@link RankedListLossLayer} and the brute-force
 * {@link ReferenceRankedListLoss} agree to 1e-10 in double precision, losses and gradients, both weight-gradient
 * modes, on random batches and on the degenerate batches of {@link EdgeCaseTest}. The configurations cover the
 * graph's three weight paths: {@code T = 0} (plain means), {@code |T| <= 15} (constant exponent shift, positive
 * and negative T) and {@code |T| > 15} (per-query maximum).
 */
class SameDiffAgreementTest {

    private static final double TOL = 1e-10;

    static final RankedListLossConfig[] CONFIGS = {
        RankedListLossConfig.paper(),
        RankedListLossConfig.builder().tp(5).lambda(0.5).build(),
        RankedListLossConfig.builder().alpha(0.9).margin(0.3).tn(-5).tp(-2).lambda(2).build(),
        RankedListLossConfig.builder().tn(50).tp(20).build(),
        RankedListLossConfig.builder().tn(-60).tp(35).margin(1.2).build(),
        RankedListLossConfig.builder().tn(15).tp(-15).lambda(0.3).build(),
        RankedListLossConfig.cub(),
    };

    static Stream<Arguments> randomBatches() {
        int[][] compositions = {{3, 3, 3, 3, 3, 3}, {5, 1, 3, 2, 1, 7}, {2, 2, 2, 2, 2, 2, 2, 2}};
        return Stream.of(RankedListLossConfig.WeightGradient.values()).flatMap(mode ->
                IntStream.range(0, CONFIGS.length).boxed().flatMap(c ->
                        IntStream.range(0, compositions.length).mapToObj(b -> {
                            EmbeddingFixtures.Batch batch = EmbeddingFixtures.withClassSizes(100L * c + b, compositions[b], 8 * (b + 1), 0.7);
                            return Arguments.of(CONFIGS[c].toBuilder().weightGradient(mode).build(),
                                    "random " + java.util.Arrays.toString(compositions[b]), batch.x(), batch.labels());
                        })));
    }

    static Stream<Arguments> degenerateBatches() {
        return EdgeCaseTest.degenerateBatches()
                .filter(a -> a.get()[1] == DataType.DOUBLE)
                .flatMap(a -> {
                    EdgeCaseTest.Degenerate d = (EdgeCaseTest.Degenerate) a.get()[0];
                    RankedListLossConfig cfg = (RankedListLossConfig) a.get()[2];
                    return Stream.of(RankedListLossConfig.WeightGradient.values()).map(mode ->
                            Arguments.of(cfg.toBuilder().weightGradient(mode).build(), d.name(), d.x(), d.labels()));
                });
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource({"randomBatches", "degenerateBatches"})
    void lossesAgree(RankedListLossConfig cfg, String batch, double[][] x, long[] labels) {
        double[] graph = new SameDiffHarness(cfg, DataType.DOUBLE).perQuery(x, labels);
        double[] kernel = RankedListLoss.create(cfg, DataType.DOUBLE)
                .perQuery(Nd4j.createFromArray(x), Nd4j.createFromArray(labels).castTo(DataType.DOUBLE).reshape(-1, 1))
                .toDoubleVector();
        double[] reference = ReferenceRankedListLoss.perQuery(x, labels, cfg);
        for (int i = 0; i < kernel.length; i++) {
            double scale = Math.max(1, Math.abs(reference[i]));
            assertEquals(reference[i], graph[i], TOL * scale, "SameDiff L(" + i + ")");
            assertEquals(reference[i], kernel[i], TOL * scale, "kernel L(" + i + ")");
        }
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource({"randomBatches", "degenerateBatches"})
    void gradientsAgree(RankedListLossConfig cfg, String batch, double[][] x, long[] labels) {
        double[][] autodiff = new SameDiffHarness(cfg, DataType.DOUBLE).gradientOfMean(x, labels);
        double[][] kernel = RankedListLoss.create(cfg, DataType.DOUBLE)
                .gradient(Nd4j.createFromArray(x), Nd4j.createFromArray(labels).castTo(DataType.DOUBLE).reshape(-1, 1))
                .toDoubleMatrix();
        double[][] reference = cfg.weightGradient() == RankedListLossConfig.WeightGradient.CONSTANT
                ? ReferenceRankedListLoss.gradientConstantWeights(x, labels, cfg) : null;
        double scale = 0;
        for (double[] row : kernel) {
            for (double v : row) {
                assertTrue(Double.isFinite(v), "kernel gradient finite");
                scale = Math.max(scale, Math.abs(v));
            }
        }
        double tol = TOL * Math.max(scale, 1e-3);
        for (int i = 0; i < kernel.length; i++) {
            for (int k = 0; k < kernel[i].length; k++) {
                assertEquals(kernel[i][k], autodiff[i][k], tol, "SameDiff vs kernel dL/dx[" + i + "][" + k + "]");
                if (reference != null) {
                    assertEquals(reference[i][k], autodiff[i][k], tol, "SameDiff vs reference dL/dx[" + i + "][" + k + "]");
                }
            }
        }
    }
}
