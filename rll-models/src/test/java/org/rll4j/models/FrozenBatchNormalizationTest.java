package org.rll4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Set;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.rll4j.loss.RankedListLossConfig;

class FrozenBatchNormalizationTest {

    /** conv -> BN -> dense: a graph whose BN has non-trivial statistics and scale after {@link #randomiseBn}. */
    private static ComputationGraphConfiguration graph(DataType type, boolean logStd, boolean lockGammaBeta, boolean dense) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(7).dataType(type)
                .updater(new NoOp()).weightInit(WeightInit.XAVIER).graphBuilder().addInputs("in");
        BatchNormalization.Builder bn = new BatchNormalization.Builder().useLogStd(logStd).eps(1e-3);
        if (lockGammaBeta) {
            bn.lockGammaBeta(true).gamma(1.7).beta(-0.4);
        }
        if (dense) {
            g.setInputTypes(InputType.feedForward(5))
                    .addLayer("pre", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "in")
                    .addLayer("bn", bn.build(), "pre")
                    .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                            .activation(Activation.TANH).build(), "bn");
        } else {
            g.setInputTypes(InputType.convolutional(5, 5, 2))
                    .addLayer("pre", new ConvolutionLayer.Builder(3, 3).nOut(3).convolutionMode(ConvolutionMode.Same)
                            .activation(Activation.TANH).build(), "in")
                    .addLayer("bn", bn.build(), "pre")
                    .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "bn")
                    .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                            .activation(Activation.TANH).build(), "gap");
        }
        return g.setOutputs("out").build();
    }

    private static void randomiseBn(ComputationGraph net, long seed) {
        Nd4j.getRandom().setSeed(seed);
        for (var e : net.getLayer("bn").paramTable().entrySet()) {
            INDArray p = e.getValue();
            switch (e.getKey()) {
                case "gamma" -> p.assign(Nd4j.rand(p.dataType(), p.shape()).addi(0.5));
                case "var" -> p.assign(Nd4j.rand(p.dataType(), p.shape()).addi(0.2));
                case "log10stdev" -> p.assign(Nd4j.rand(p.dataType(), p.shape()).subi(0.5).muli(0.6));
                default -> p.assign(Nd4j.randn(p.dataType(), p.shape()).muli(0.5));
            }
        }
    }

    private static ComputationGraph frozenCopy(ComputationGraphConfiguration conf, ComputationGraph source) {
        ComputationGraphConfiguration frozenConf = conf.clone();
        LayerVertex lv = (LayerVertex) frozenConf.getVertices().get("bn");
        lv.getLayerConf().setLayer(FrozenBatchNormalization.of((BatchNormalization) lv.getLayerConf().getLayer()));
        ComputationGraph frozen = new ComputationGraph(frozenConf);
        frozen.init(source.params().dup(), false);
        return frozen;
    }

    private static INDArray input(DataType type, boolean dense, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return dense ? Nd4j.randn(type, 6, 5) : Nd4j.randn(type, 6, 2, 5, 5);
    }

    @ParameterizedTest(name = "logStd={0} lockGammaBeta={1} dense={2}")
    @CsvSource({"false,false,false", "true,false,false", "false,true,false", "true,false,true", "false,false,true",
        "false,true,true"})
    void trainingAndInferenceBothEqualBatchNormInInferenceMode(boolean logStd, boolean lock, boolean dense) {
        ComputationGraphConfiguration conf = graph(DataType.DOUBLE, logStd, lock, dense);
        ComputationGraph plain = new ComputationGraph(conf);
        plain.init();
        randomiseBn(plain, 3);
        ComputationGraph frozen = frozenCopy(conf, plain);
        INDArray x = input(DataType.DOUBLE, dense, 4);
        INDArray expected = plain.feedForward(x, false).get("bn");
        assertTrue(expected.distance2(plain.feedForward(x, true).get("bn")) > 1e-3,
                "the test needs statistics that differ from the batch's");
        assertEquals(0.0, expected.distance2(frozen.feedForward(x, true).get("bn")), 1e-12, "training mode");
        assertEquals(0.0, expected.distance2(frozen.feedForward(x, false).get("bn")), 1e-12, "inference mode");
        assertInstanceOf(FrozenBatchNormalization.class, ((LayerVertex) frozen.getConfiguration().getVertices().get("bn"))
                .getLayerConf().getLayer());
    }

    @Tag("gradient-check")
    @ParameterizedTest(name = "logStd={0} lockGammaBeta={1} dense={2}")
    @CsvSource({"false,false,false", "true,false,false", "false,true,false", "true,false,true"})
    void gradientsOfTheLayersBelowAreExact(boolean logStd, boolean lock, boolean dense) {
        ComputationGraphConfiguration conf = graph(DataType.DOUBLE, logStd, lock, dense);
        ComputationGraph plain = new ComputationGraph(conf);
        plain.init();
        randomiseBn(plain, 5);
        ComputationGraph frozen = frozenCopy(conf, plain);
        INDArray x = input(DataType.DOUBLE, dense, 6);
        Nd4j.getRandom().setSeed(8);
        INDArray y = Nd4j.rand(DataType.DOUBLE, 6, 3);
        // the frozen parameters have zero gradient by design; every other parameter is checked
        Set<String> frozenParams = Set.of("bn_gamma", "bn_beta", "bn_mean", "bn_var", "bn_log10stdev");
        DataType previous = Nd4j.dataType();
        DataType previousFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(frozen)
                    .inputs(new INDArray[] {x}).labels(new INDArray[] {y}).epsilon(1e-6).maxRelError(1e-5)
                    .minAbsoluteError(1e-9).excludeParams(frozenParams));
            assertTrue(ok, "gradient check of the layers around a frozen batch norm");
        } finally {
            Nd4j.setDefaultDataTypes(previous, previousFloat);
        }
    }

    @Test
    void trainingLeavesStatisticsScaleAndShiftUntouchedEvenWithWeightDecay() {
        EmbeddingModel m = EmbeddingModel.builder().backbone(EmbeddingModelTest.CNN)
                .head(EmbeddingHead.builder().embeddingDim(8).batchNorm(true).loss(RankedListLossConfig.paper()).build())
                .updater(new Adam(1e-2)).weightDecay(1e-2).frozenBatchNorm(true).seed(1).build();
        ComputationGraph net = m.network();
        for (String bn : new String[] {"bn_1", "bn_2", "bn_3"}) {
            assertInstanceOf(FrozenBatchNormalization.class, net.getLayer(bn).conf().getLayer(), bn);
            randomiseParams(net, bn);
        }
        assertFalse(net.getLayer("bn").conf().getLayer() instanceof FrozenBatchNormalization, "the head's BN is not frozen");
        INDArray[] before = {net.getLayer("bn_1").params().dup(), net.getLayer("bn_3").params().dup()};
        INDArray conv = net.getLayer("conv_1").params().dup();
        INDArray headBn = net.getLayer("bn").params().dup();
        for (int i = 0; i < 3; i++) {
            net.fit(EmbeddingModelTest.batch(10 + i));
        }
        assertEquals(before[0], net.getLayer("bn_1").params());
        assertEquals(before[1], net.getLayer("bn_3").params());
        assertFalse(conv.equals(net.getLayer("conv_1").params()), "the convolutions still train");
        assertFalse(headBn.equals(net.getLayer("bn").params()), "the head's batch norm still trains");
        assertTrue(Double.isFinite(net.score()));
    }

    private static void randomiseParams(ComputationGraph net, String layer) {
        Nd4j.getRandom().setSeed(layer.hashCode());
        for (var e : net.getLayer(layer).paramTable().entrySet()) {
            INDArray p = e.getValue();
            p.assign(e.getKey().equals("log10stdev") ? Nd4j.rand(p.dataType(), p.shape()).muli(0.3)
                    : Nd4j.rand(p.dataType(), p.shape()).addi(0.5));
        }
    }

    @Test
    void saveRestoreKeepsTheFrozenLayerAndItsOutputs(@TempDir Path dir) throws Exception {
        EmbeddingModel m = EmbeddingModel.builder().backbone(EmbeddingModelTest.CNN)
                .head(EmbeddingHead.global(8, RankedListLossConfig.paper())).frozenBatchNorm(true).seed(2).build();
        randomiseParams(m.network(), "bn_2");
        DataSet ds = EmbeddingModelTest.batch(3);
        m.network().fit(ds);
        File f = dir.resolve("m.zip").toFile();
        ModelSerializer.writeModel(m.network(), f, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(f, true);
        assertInstanceOf(FrozenBatchNormalization.class, restored.getLayer("bn_2").conf().getLayer());
        assertEquals(m.network().getLayer("bn_2").params(), restored.getLayer("bn_2").params());
        assertEquals(m.network().outputSingle(ds.getFeatures()), restored.outputSingle(ds.getFeatures()));
        // training mode gives the same activations as inference for a frozen layer (compared after the
        // ReLU: in inference DL4J applies it in place, overwriting the batch norm's output in the map)
        assertEquals(restored.feedForward(ds.getFeatures(), false).get("relu_2"),
                restored.feedForward(ds.getFeatures(), true).get("relu_2"));
    }

    @Test
    void frozenCopyKeepsEverySetting() {
        BatchNormalization bn = new BatchNormalization.Builder().nIn(7).nOut(7).eps(1e-4).decay(0.8).useLogStd(false)
                .lockGammaBeta(true).gamma(2).beta(3).name("x_bn").build();
        FrozenBatchNormalization f = FrozenBatchNormalization.of(bn);
        assertEquals("x_bn", f.getLayerName());
        assertEquals(7, f.getNOut());
        assertEquals(1e-4, f.getEps());
        assertEquals(0.8, f.getDecay());
        assertFalse(f.isUseLogStd());
        assertTrue(f.isLockGammaBeta());
        assertEquals(2.0, f.getGamma());
        assertEquals(3.0, f.getBeta());
        assertInstanceOf(NoOp.class, f.getUpdaterByParam("gamma"));
        assertTrue(f.getRegularizationByParam("gamma").isEmpty());
        assertEquals(bn.getEps(), f.clone().getEps());
    }
}
