package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The hand-derived backward pass of {@link RankedListLossKernel} against SameDiff's automatic
 * differentiation of the loss written as a graph ({@link SameDiffRankedListLoss}), in double, for
 * both weight modes; this is the independent check of the {@code FLOW} gradient at T != 0 on many
 * batches (DL4J's gradient check covers it on small networks).
 */
class AutodiffAgreementTest {

    static Stream<Arguments> cases() {
        RankedListLossConfig[] configs = {
            RankedListLossConfig.paper(),
            RankedListLossConfig.builder().tp(5).lambda(0.5).build(),
            RankedListLossConfig.builder().alpha(0.9).margin(0.3).tn(-5).tp(-2).lambda(2).build(),
            RankedListLossConfig.builder().tn(50).tp(20).build(),
            RankedListLossConfig.cub(),
        };
        int[][] compositions = {{3, 3, 3, 3, 3, 3}, {5, 1, 3, 2, 1, 7}, {2, 2, 2, 2, 2, 2, 2, 2}};
        return Stream.of(RankedListLossConfig.WeightGradient.values()).flatMap(mode ->
                java.util.stream.IntStream.range(0, configs.length).boxed().flatMap(c ->
                        java.util.stream.IntStream.range(0, compositions.length).mapToObj(b -> Arguments.of(
                                configs[c].toBuilder().weightGradient(mode).build(), compositions[b], 8 * (b + 1), 100L * c + b))));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void kernelGradientEqualsAutodiff(RankedListLossConfig cfg, int[] classSizes, int dim, long seed) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.withClassSizes(seed, classSizes, dim, 0.7);
        double[][] autodiff = new SameDiffRankedListLoss(cfg, DataType.DOUBLE).gradientOfMean(b.x(), b.labels());
        double[][] kernel = RankedListLoss.create(cfg, DataType.DOUBLE)
                .gradient(b.features(DataType.DOUBLE), b.labelColumn(DataType.DOUBLE)).toDoubleMatrix();
        double scale = 0;
        for (double[] row : autodiff) {
            for (double v : row) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        for (int i = 0; i < kernel.length; i++) {
            for (int k = 0; k < kernel[i].length; k++) {
                assertEquals(autodiff[i][k], kernel[i][k], 1e-9 * scale + 1e-14, cfg + " dL/dx[" + i + "][" + k + "]");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void kernelLossEqualsTheGraph(RankedListLossConfig cfg, int[] classSizes, int dim, long seed) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.withClassSizes(seed, classSizes, dim, 0.7);
        double[] graph = new SameDiffRankedListLoss(cfg, DataType.DOUBLE).perQuery(b.x(), b.labels());
        double[] kernel = RankedListLoss.create(cfg, DataType.DOUBLE)
                .perQuery(b.features(DataType.DOUBLE), b.labelColumn(DataType.DOUBLE)).toDoubleVector();
        for (int i = 0; i < kernel.length; i++) {
            assertEquals(graph[i], kernel[i], 1e-12 * Math.max(1, Math.abs(graph[i])), "L(" + i + ")");
        }
    }
}
