package org.rll4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class BnInceptionTest {

    /** Published channel widths of the ten block outputs (Caffe prototxt / PyTorch port). */
    private static final int[] BLOCK_CHANNELS = {256, 320, 576, 576, 576, 608, 608, 1056, 1024, 1024};
    private static final String[] BLOCKS = {"3a", "3b", "3c", "4a", "4b", "4c", "4d", "4e", "5a", "5b"};

    /** Backbone + global average pooling + MSE loss: the smallest valid, trainable graph. */
    static ComputationGraphConfiguration graphConfig(BnInception backbone) {
        // --- the snippet in BnInception's class javadoc
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .updater(new Adam(1e-4)).graphBuilder().addInputs("input");
        Backbone.Stages stages = backbone.addTo(g, "input");
        g.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), stages.high());
        // ---
        g.addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).build(), "gap")
                .setOutputs("loss")
                .setInputTypes(backbone.inputType());
        return g.build();
    }

    static ComputationGraph graph(BnInception backbone, long seed) {
        ComputationGraphConfiguration conf = graphConfig(backbone);
        conf.getDefaultConfiguration().setSeed(seed);
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    @Test
    void defaultsArePaperCrop() {
        BnInception b = BnInception.create();
        assertEquals("bn-inception", b.name());
        assertEquals(InputType.convolutional(227, 227, 3), b.inputType());
        assertEquals(b, BnInception.builder().inputSize(227, 227).channels(3).bnEps(1e-5).bnDecay(0.9).build());
        assertEquals(b, b.toBuilder().build());
        assertNotEquals(b, b.toBuilder().inputSize(224, 224).build());
        assertEquals("BnInception{input=227x227x3, bnEps=1.0E-5, bnDecay=0.9}", b.toString());
    }

    @Test
    void canonicalCaffeLayerNamesAndTypes() {
        BnInception backbone = BnInception.create();
        ComputationGraphConfiguration conf = graphConfig(backbone);
        Map<String, org.deeplearning4j.nn.conf.graph.GraphVertex> v = conf.getVertices();

        List<String> convs = new ArrayList<>(List.of("conv1/7x7_s2", "conv2/3x3_reduce", "conv2/3x3"));
        for (String blk : BLOCKS) {
            String p = "inception_" + blk + "/";
            boolean reduction = blk.equals("3c") || blk.equals("4e");
            if (!reduction) {
                convs.add(p + "1x1");
                convs.add(p + "pool_proj");
            }
            convs.addAll(List.of(p + "3x3_reduce", p + "3x3", p + "double_3x3_reduce", p + "double_3x3_1",
                    p + "double_3x3_2"));
            assertTrue(v.get(p + "output") instanceof MergeVertex, p + "output");
            assertTrue(layer(v, p + "pool") instanceof SubsamplingLayer, p + "pool");
            assertEquals(reduction, !v.containsKey(p + "pool_proj"), p);
        }
        assertEquals(69, convs.size());
        for (String c : convs) {
            assertTrue(layer(v, c) instanceof ConvolutionLayer, c);
            assertTrue(layer(v, c + "_bn") instanceof BatchNormalization, c + "_bn");
            ActivationLayer relu = (ActivationLayer) layer(v, c + "_relu");
            assertEquals(Activation.RELU.getActivationFunction(), relu.getActivationFn());
        }
        assertTrue(layer(v, "pool1/3x3_s2") instanceof SubsamplingLayer);
        assertTrue(layer(v, "pool2/3x3_s2") instanceof SubsamplingLayer);
        // 5a averages, 5b takes the maximum (the published model), 3c/4e max pool with stride 2
        assertEquals(org.deeplearning4j.nn.conf.layers.PoolingType.AVG,
                ((SubsamplingLayer) layer(v, "inception_5a/pool")).getPoolingType());
        assertEquals(org.deeplearning4j.nn.conf.layers.PoolingType.MAX,
                ((SubsamplingLayer) layer(v, "inception_5b/pool")).getPoolingType());
        SubsamplingLayer pool3c = (SubsamplingLayer) layer(v, "inception_3c/pool");
        assertEquals(org.deeplearning4j.nn.conf.layers.PoolingType.MAX, pool3c.getPoolingType());
        assertArrayEquals(new int[] {2, 2}, pool3c.getStride());
        assertArrayEquals(new int[] {2, 2}, ((ConvolutionLayer) layer(v, "inception_4e/double_3x3_2")).getStride());
        // include-pad averages: explicit zero padding, then an unpadded average (divisor 9 everywhere)
        for (String avg : List.of("3a", "3b", "4a", "4b", "4c", "4d", "5a")) {
            assertTrue(layer(v, "inception_" + avg + "/pool_pad") instanceof ZeroPaddingLayer, avg);
            assertArrayEquals(new int[] {0, 0}, ((SubsamplingLayer) layer(v, "inception_" + avg + "/pool")).getPadding(), avg);
        }

        // 69 x (conv, bn, relu) + 2 stem pools + 10 block pools + 7 average-pool paddings + 10 merges;
        // no stem padding vertex at 227
        List<String> names = backbone.vertexNames();
        assertEquals(69 * 3 + 2 + 10 + 7 + 10, names.size());
        assertEquals(conf.getVertices().size() - 2, names.size()); // + gap, loss
        assertEquals(138, backbone.parameterLayerNames().size());
        assertEquals("conv1/7x7_s2", backbone.parameterLayerNames().get(0));
        assertEquals("inception_5b/pool_proj_bn", backbone.parameterLayerNames().get(137));
    }

    private static org.deeplearning4j.nn.conf.layers.Layer layer(
            Map<String, org.deeplearning4j.nn.conf.graph.GraphVertex> v, String name) {
        assertTrue(v.containsKey(name), "missing vertex " + name);
        return ((LayerVertex) v.get(name)).getLayerConf().getLayer();
    }

    @Test
    void stageShapesAt227MatchThePublishedNetwork() {
        BnInception backbone = BnInception.create();
        ComputationGraphConfiguration conf = graphConfig(backbone);
        Map<String, InputType> types = conf.getLayerActivationTypes(backbone.inputType());

        assertEquals(InputType.convolutional(114, 114, 64), types.get("conv1/7x7_s2_relu"));
        assertEquals(InputType.convolutional(57, 57, 64), types.get("pool1/3x3_s2"));
        assertEquals(InputType.convolutional(28, 28, 192), types.get("pool2/3x3_s2"));
        int[] sizes = {28, 28, 14, 14, 14, 14, 14, 7, 7, 7};
        Map<String, BnInception.FeatureMap> declared = backbone.blockOutputs();
        for (int i = 0; i < BLOCKS.length; i++) {
            String out = "inception_" + BLOCKS[i] + "/output";
            InputType expected = InputType.convolutional(sizes[i], sizes[i], BLOCK_CHANNELS[i]);
            assertEquals(expected, types.get(out), out);
            assertEquals(new BnInception.FeatureMap(BLOCK_CHANNELS[i], sizes[i], sizes[i]), declared.get(out), out);
        }
        Backbone.Stages stages = backbone.addTo(new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in"), "in");
        assertEquals(new Backbone.Stages("inception_3c/output", "inception_4e/output", "inception_5b/output"), stages);
        assertEquals(InputType.feedForward(1024), types.get("gap"));
    }

    /**
     * 10,290,272 = 69 convolutions (weights 10,240,192 + biases 10,016) + 69 BN layers over 10,016
     * channels x (gamma, beta, mean, var). The count is exact (it does not depend on the input size or on
     * initialisation), so the test pins it; PyTorch's trainable count (running stats excluded) is
     * 10,270,240 and adding the published fc (1024 x 1000 + 1000) gives 11,295,240, the paper's 11.3M.
     */
    @Test
    void parameterCountMatchesThePublishedModel() {
        long convWeights = 10_240_192L;
        long convBiases = 10_016L;
        long bnChannels = 10_016L;
        ComputationGraph net = graph(BnInception.builder().inputSize(64, 64).build(), 1);
        assertEquals(convWeights + convBiases + 4 * bnChannels, net.numParams());
        assertEquals(10_290_272L, net.numParams());
        long pytorchTrainable = net.numParams() - 2 * bnChannels;
        assertEquals(11_295_240L, pytorchTrainable + 1024 * 1000 + 1000);

        long weights = 0;
        long biases = 0;
        long bn = 0;
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            for (Map.Entry<String, INDArray> e : l.paramTable().entrySet()) {
                switch (e.getKey()) {
                    case "W" -> weights += e.getValue().length();
                    case "b" -> biases += e.getValue().length();
                    case "gamma", "beta", "mean", "var" -> bn += e.getValue().length();
                    default -> throw new AssertionError("unexpected parameter " + e.getKey());
                }
            }
        }
        assertEquals(convWeights, weights);
        assertEquals(convBiases, biases);
        assertEquals(4 * bnChannels, bn);
    }

    @Test
    void forwardPassAtSmallInputOnBatchOfTwo() {
        BnInception backbone = BnInception.builder().inputSize(96, 96).build();
        ComputationGraph net = graph(backbone, 42);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 96, 96).subi(0.5);
        Map<String, INDArray> acts = net.feedForward(x, false);

        assertArrayEquals(new long[] {2, 576, 6, 6}, acts.get(BnInception.LOW).shape());
        assertArrayEquals(new long[] {2, 1056, 3, 3}, acts.get(BnInception.MID).shape());
        assertArrayEquals(new long[] {2, 1024, 3, 3}, acts.get(BnInception.HIGH).shape());
        for (Map.Entry<String, BnInception.FeatureMap> e : backbone.blockOutputs().entrySet()) {
            BnInception.FeatureMap f = e.getValue();
            assertArrayEquals(new long[] {2, f.channels(), f.height(), f.width()}, acts.get(e.getKey()).shape(),
                    e.getKey());
        }
        INDArray out = net.outputSingle(x);
        assertArrayEquals(new long[] {2, 1024}, out.shape());
        assertFalse(out.isNaN().any() || out.isInfinite().any());
        assertTrue(out.minNumber().doubleValue() >= 0); // mean of ReLU maps
    }

    @Test
    void oneTrainingStepAtTheSmallestInput() {
        BnInception backbone = BnInception.builder().inputSize(BnInception.MIN_INPUT_SIZE, BnInception.MIN_INPUT_SIZE)
                .build();
        ComputationGraph net = graph(backbone, 7);
        INDArray before = net.params().dup();
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 63, 63);
        net.fit(new DataSet(x, Nd4j.zeros(DataType.FLOAT, 2, 1024)));
        assertTrue(Double.isFinite(net.score()));
        assertNotEquals(before, net.params());
        assertArrayEquals(new long[] {2, 1024, 2, 2}, net.feedForward(x, false).get(BnInception.HIGH).shape());
    }

    /**
     * The ceil-mode pools and the average pools reproduce Caffe: compared with a direct loop over the
     * activations that feed them. 68x69 takes every path: a one-sided {@code _pad} vertex (pool1: 34x35),
     * Truncate (pool2: 17x17) and Same (3c: 8x8, 4e: 4x4); 96x96 takes Same for both stem pools.
     */
    @ParameterizedTest
    @CsvSource({"68, 69", "96, 96"})
    void poolingMatchesCaffeCeilModeAndCountIncludePad(int h, int w) {
        BnInception backbone = BnInception.builder().inputSize(h, w).build();
        assertEquals(h == 68, backbone.vertexNames().contains("pool1/3x3_s2_pad"));
        ComputationGraph net = graph(backbone, 3);
        Map<String, INDArray> a = net.feedForward(Nd4j.rand(DataType.FLOAT, 1, 3, h, w).subi(0.5), false);

        assertClose(caffePool(a.get("conv1/7x7_s2_relu"), 2, 0, true), a.get("pool1/3x3_s2"), "pool1");
        assertClose(caffePool(a.get("conv2/3x3_relu"), 2, 0, true), a.get("pool2/3x3_s2"), "pool2");
        assertClose(caffePool(a.get("pool2/3x3_s2"), 1, 1, false), a.get("inception_3a/pool"), "3a avg");
        assertClose(caffePool(a.get("inception_3b/output"), 2, 0, true), a.get("inception_3c/pool"), "3c max");
        assertClose(caffePool(a.get("inception_4d/output"), 2, 0, true), a.get("inception_4e/pool"), "4e max");
        assertClose(caffePool(a.get("inception_4e/output"), 1, 1, false), a.get("inception_5a/pool"), "5a avg");
        assertClose(caffePool(a.get("inception_5a/output"), 1, 1, true), a.get("inception_5b/pool"), "5b max");
    }

    @Test
    void mixedParityUsesOnlyOnePaddingVertexAndTheRightSide() {
        BnInception backbone = BnInception.builder().inputSize(68, 69).build();
        ComputationGraphConfiguration conf = graphConfig(backbone);
        ZeroPaddingLayer pad = (ZeroPaddingLayer) layer(conf.getVertices(), "pool1/3x3_s2_pad");
        assertArrayEquals(new int[] {0, 1, 0, 0}, pad.getPadding()); // height 34 overhangs, width 35 does not
        assertEquals(69 * 3 + 2 + 10 + 7 + 10 + 1, backbone.vertexNames().size());
    }

    /** Caffe pooling, kernel 3, ceil mode; AVE divides by the window clipped to the padded map (here 9). */
    private static INDArray caffePool(INDArray in, int stride, int pad, boolean max) {
        int c = (int) in.size(1);
        int h = (int) in.size(2);
        int w = (int) in.size(3);
        int oh = (int) Math.ceil((h + 2.0 * pad - 3) / stride) + 1;
        int ow = (int) Math.ceil((w + 2.0 * pad - 3) / stride) + 1;
        INDArray out = Nd4j.create(DataType.FLOAT, 1, c, oh, ow);
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    int y0 = y * stride - pad;
                    int x0 = x * stride - pad;
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    int pool = (Math.min(y0 + 3, h + pad) - y0) * (Math.min(x0 + 3, w + pad) - x0);
                    for (int yy = Math.max(y0, 0); yy < Math.min(y0 + 3, h); yy++) {
                        for (int xx = Math.max(x0, 0); xx < Math.min(x0 + 3, w); xx++) {
                            double v = in.getDouble(0, ch, yy, xx);
                            acc = max ? Math.max(acc, v) : acc + v;
                        }
                    }
                    out.putScalar(new long[] {0, ch, y, x}, max ? acc : acc / pool);
                }
            }
        }
        return out;
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double maxDiff = expected.sub(actual.castTo(DataType.FLOAT)).amaxNumber().doubleValue();
        assertTrue(maxDiff < 1e-5, what + ": max |difference| " + maxDiff);
    }

    @Test
    void invalidInputSizesAreRejectedWithTheNearestValidSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BnInception.builder().inputSize(80, 96).build());
        assertTrue(e.getMessage().startsWith("inputHeight must be in 32m-1..32m+6 for some m >= 2"), e.getMessage());
        assertTrue(e.getMessage().contains("found 80; nearest valid: 70 or 95"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> BnInception.builder().inputSize(224, 62).build());
        assertTrue(e.getMessage().startsWith("inputWidth must be"), e.getMessage());
        assertTrue(e.getMessage().endsWith("found 62; nearest valid: 63"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> BnInception.builder().inputSize(-5, 227).build());
        assertTrue(e.getMessage().endsWith("found -5; nearest valid: 63"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> BnInception.builder().channels(0).build());
        assertEquals("channels must be >= 1, found 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BnInception.builder().bnEps(0).build());
        assertEquals("bnEps must be finite and > 0, found 0.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BnInception.builder().bnDecay(1).build());
        assertEquals("bnDecay must be in [0, 1), found 1.0", e.getMessage());
    }

    @Test
    void validSizesAreExactlyTheDocumentedWindows() {
        for (int s = -3; s <= 400; s++) {
            int r = Math.floorMod(s + 1, 32);
            boolean documented = s >= BnInception.MIN_INPUT_SIZE && r <= 7;
            assertEquals(documented, BnInception.isValidInputSize(s), "size " + s);
        }
        assertTrue(BnInception.isValidInputSize(224));
        assertTrue(BnInception.isValidInputSize(227));
        assertFalse(BnInception.isValidInputSize(62));
    }

    @Test
    void addToRejectsUnknownInputAndASecondCopy() {
        BnInception backbone = BnInception.builder().inputSize(64, 64).build();
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("input");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backbone.addTo(g, "img"));
        assertTrue(e.getMessage().startsWith("input must be a network input or vertex of the graph [input], found img"),
                e.getMessage());
        backbone.addTo(g, "input");
        e = assertThrows(IllegalArgumentException.class, () -> backbone.addTo(g, "input"));
        assertTrue(e.getMessage().contains("found 'conv1/7x7_s2' already present"), e.getMessage());
    }
}
