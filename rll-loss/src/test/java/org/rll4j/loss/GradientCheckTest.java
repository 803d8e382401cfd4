package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gradients of the layer inside a DL4J ComputationGraph, in double precision.
 * <ul>
 *   <li>T = 0 (weights are uniform, so both weight modes give the true gradient) and
 *       {@link RankedListLossConfig.WeightGradient#FLOW} at T != 0: DL4J's {@link GradientCheckUtil}
 *       (central differences of the score over every parameter).</li>
 *   <li>{@link RankedListLossConfig.WeightGradient#CONSTANT} at T != 0: the analytic gradient is the
 *       gradient of the objective with the weights frozen at their current values, so it is checked
 *       against central differences of that objective (evaluated by the brute-force reference).</li>
 * </ul>
 */
@Tag("gradient-check")
@ExtendWith(DoublePrecision.class)
class GradientCheckTest {

    static Stream<Arguments> exactGradientCases() {
        RankedListLossConfig t0 = RankedListLossConfig.builder().tn(0).tp(0).build();
        return Stream.of(
                Arguments.of("T=0, constant weights", t0, 21L),
                Arguments.of("T=0, flowing weights", t0.toBuilder().weightGradient(RankedListLossConfig.WeightGradient.FLOW).build(), 22L),
                Arguments.of("T_n=10, T_p=0, flowing weights", RankedListLossConfig.paper().toBuilder()
                        .weightGradient(RankedListLossConfig.WeightGradient.FLOW).build(), 23L),
                Arguments.of("T_n=10, T_p=5, lambda=0.5, flowing weights", RankedListLossConfig.builder().tp(5).lambda(0.5)
                        .weightGradient(RankedListLossConfig.WeightGradient.FLOW).build(), 24L),
                Arguments.of("CUB preset, T_n=10, flowing weights", RankedListLossConfig.cub().toBuilder()
                        .weightGradient(RankedListLossConfig.WeightGradient.FLOW).build(), 25L));
    }

    /** Each case for both layers, the kernel and the SameDiff graph. */
    static Stream<Arguments> bothLayers(Stream<Arguments> cases) {
        return cases.flatMap(a -> Stream.of(RankedListLossImplementation.values()).map(impl -> {
            Object[] args = java.util.Arrays.copyOf(a.get(), a.get().length + 1);
            args[args.length - 1] = impl;
            return Arguments.of(args);
        }));
    }

    static Stream<Arguments> exactGradientCasesBothLayers() {
        return bothLayers(exactGradientCases());
    }

    static Stream<Arguments> frozenWeightCasesBothLayers() {
        return bothLayers(frozenWeightCases());
    }

    @ParameterizedTest(name = "{0} {3}")
    @MethodSource("exactGradientCasesBothLayers")
    void dl4jGradientCheckPasses(String name, RankedListLossConfig cfg, long seed, RankedListLossImplementation impl) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.withClassSizes(seed, new int[] {3, 3, 2, 3}, 5, 0.8);
        ComputationGraph net = TinyNetworks.mlp(5, 6, 3, cfg, DataType.DOUBLE, seed, new org.nd4j.linalg.learning.config.NoOp(), impl);
        INDArray x = b.features(DataType.DOUBLE);
        INDArray y = b.labelColumn(DataType.DOUBLE);
        assertTrue(net.score(new org.nd4j.linalg.dataset.DataSet(x, y)) > 0, "the batch must have violating pairs");
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {y})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
        assertTrue(ok, name);
    }

    static Stream<Arguments> frozenWeightCases() {
        return Stream.of(
                Arguments.of("paper (T_n=10)", RankedListLossConfig.paper(), 31L),
                Arguments.of("T_n=10, T_p=5, lambda=0.5", RankedListLossConfig.builder().tp(5).lambda(0.5).build(), 32L),
                Arguments.of("T_n=50, T_p=-3, lambda=2", RankedListLossConfig.builder().tn(50).tp(-3).lambda(2).build(), 33L),
                Arguments.of("In-Shop preset (T_n=12)", RankedListLossConfig.inShop(), 34L));
    }

    @ParameterizedTest(name = "{0} {3}")
    @MethodSource("frozenWeightCasesBothLayers")
    void constantWeightGradientEqualsFiniteDifferencesOfTheFrozenObjective(String name, RankedListLossConfig cfg, long seed,
                                                                          RankedListLossImplementation impl) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.withClassSizes(seed, new int[] {3, 3, 3, 2}, 5, 0.8);
        ComputationGraph net = TinyNetworks.mlp(5, 6, 3, cfg, DataType.DOUBLE, seed, new org.nd4j.linalg.learning.config.NoOp(), impl);
        INDArray x = b.features(DataType.DOUBLE);
        INDArray y = b.labelColumn(DataType.DOUBLE);

        // Analytic gradient as DL4J applies it: backprop, then the (NoOp) updater divides by the batch size.
        net.setInput(0, x);
        net.setLabel(0, y);
        net.computeGradientAndScore();
        new ComputationGraphUpdater(net).update(net.gradient(), 0, 0, (int) x.size(0), LayerWorkspaceMgr.noWorkspaces());
        INDArray analytic = net.gradient().gradient().dup();

        double[][] e0 = net.outputSingle(false, x).toDoubleMatrix();
        double[][] frozen = ReferenceRankedListLoss.normalizedWeights(e0, b.labels(), cfg);
        assertEquals(ReferenceRankedListLoss.mean(e0, b.labels(), cfg), net.score(), 1e-12);

        INDArray params = net.params();
        double eps = 1e-6;
        int checked = 0;
        for (int p = 0; p < params.length(); p++) {
            double orig = params.getDouble(p);
            params.putScalar(p, orig + eps);
            double plus = frozenMean(net, x, b.labels(), cfg, frozen);
            params.putScalar(p, orig - eps);
            double minus = frozenMean(net, x, b.labels(), cfg, frozen);
            params.putScalar(p, orig);
            double numeric = (plus - minus) / (2 * eps);
            double a = analytic.getDouble(p);
            double tol = 1e-5 * Math.max(Math.abs(numeric), Math.abs(a)) + 1e-9;
            assertEquals(numeric, a, tol, name + ": parameter " + p);
            checked++;
        }
        assertEquals(params.length(), checked);
        assertTrue(analytic.norm2Number().doubleValue() > 1e-6, "non-trivial gradient");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("frozenWeightCases")
    void constantAndFlowingWeightsDifferAtNonZeroTemperature(String name, RankedListLossConfig cfg, long seed) {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.withClassSizes(seed, new int[] {3, 3, 3, 2}, 5, 0.8);
        RankedListLoss constant = RankedListLoss.create(cfg, DataType.DOUBLE);
        RankedListLoss flowing = RankedListLoss.create(cfg.toBuilder()
                .weightGradient(RankedListLossConfig.WeightGradient.FLOW).build(), DataType.DOUBLE);
        INDArray x = b.features(DataType.DOUBLE);
        INDArray y = b.labelColumn(DataType.DOUBLE);
        assertEquals(constant.mean(x, y), flowing.mean(x, y), 0, "forward values are identical");
        double diff = constant.gradient(x, y).sub(flowing.gradient(x, y)).norm2Number().doubleValue();
        assertTrue(diff > 1e-6, name + ": gradients must differ, |diff| = " + diff);
    }

    private static double frozenMean(ComputationGraph net, INDArray x, long[] labels, RankedListLossConfig cfg,
                                     double[][] frozen) {
        double[][] e = net.outputSingle(false, x).toDoubleMatrix();
        double s = 0;
        for (double v : ReferenceRankedListLoss.perQueryWithWeights(e, labels, cfg, frozen)) {
            s += v;
        }
        return s / e.length;
    }

}
