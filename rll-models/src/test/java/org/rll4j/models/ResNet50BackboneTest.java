package org.rll4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.zoo.model.ResNet50;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * ResNet50Backbone against the DL4J zoo's ResNet50: same names, wiring and parameter shapes (so zoo
 * weights map by name), the parameter count without the classifier, and stage shapes at 64x64.
 * Kept light: one forward pass at 64x64, batch 1.
 */
class ResNet50BackboneTest {

    private static final int ZOO_CLASSES = 10;

    /** The zoo's ResNet50 (224x224x3, 10 classes), initialised once: ~24 M parameters. */
    private static ComputationGraph zoo;

    @BeforeAll
    static void initZoo() {
        zoo = ResNet50.builder().numClasses(ZOO_CLASSES).build().init();
    }

    /** Backbone + global average pooling + a 3-class softmax layer, as in the class javadoc. */
    private static ComputationGraphConfiguration.GraphBuilder withHead(ResNet50Backbone backbone) {
        ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
                .seed(42).updater(new Adam(1e-3)).weightInit(WeightInit.RELU)
                .graphBuilder().addInputs("image").setInputTypes(backbone.inputType());
        Backbone.Stages stages = backbone.addTo(graph, "image");
        graph.addLayer("pool", new GlobalPoolingLayer(PoolingType.AVG), stages.high())
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(3).activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out");
        return graph;
    }

    /** The backbone alone, with its high stage as the graph output. */
    private static ComputationGraph backboneOnly(ResNet50Backbone backbone) {
        ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
                .seed(1).graphBuilder().addInputs("input").setInputTypes(backbone.inputType());
        Backbone.Stages stages = backbone.addTo(graph, "input");
        ComputationGraph net = new ComputationGraph(graph.setOutputs(stages.high()).build());
        net.init();
        return net;
    }

    @Test
    void vertexNamesLayerSettingsAndWiringMatchTheZooWithoutItsClassifier() {
        ComputationGraphConfiguration zooConf = zoo.getConfiguration();
        ComputationGraphConfiguration ours = withHead(ResNet50Backbone.defaults()).build();
        // the zoo's graph reads "input"; ours reads "image" (renamed for the comparison)
        Map<String, String> ourNames = LayerDescriptions.describe(ours, "image", Set.of("pool", "out"));
        Map<String, String> zooNames = LayerDescriptions.describe(zooConf, "input",
                Set.copyOf(ResNet50Backbone.ZOO_CLASSIFIER_VERTICES));
        assertEquals(zooNames, ourNames);
        assertEquals(173, ourNames.size(), "vertices of the zoo ResNet50 without avgpool and output");
    }

    @Test
    void parameterShapesMatchTheZooLayerByLayer() {
        ComputationGraph ours = backboneOnly(ResNet50Backbone.defaults());
        Map<String, INDArray> zooParams = zoo.paramTable();
        Map<String, INDArray> ourParams = ours.paramTable();
        Set<String> zooBackboneKeys = new HashSet<>();
        for (String key : zooParams.keySet()) {
            if (!key.startsWith("output_")) {
                zooBackboneKeys.add(key);
            }
        }
        assertEquals(zooBackboneKeys, ourParams.keySet());
        for (String key : ourParams.keySet()) {
            assertArrayEquals(zooParams.get(key).shape(), ourParams.get(key).shape(), key);
        }
    }

    @Test
    void parameterCountIsTheZooCountMinusItsClassifier() {
        long zooClassifier = 0;
        for (String name : ResNet50Backbone.ZOO_CLASSIFIER_VERTICES) {
            zooClassifier += zoo.getLayer(name).numParams();
        }
        // the zoo's output layer: 2048 * 1 * 1 inputs (its 3x3 "avgpool" max pooling leaves 1x1) + bias
        assertEquals(2048L * ZOO_CLASSES + ZOO_CLASSES, zooClassifier);
        long expected = zoo.numParams() - zooClassifier;
        assertEquals(23_587_712L, expected, "ResNet-50 without classifier (incl. BN mean/var, conv biases)");
        assertEquals(expected, backboneOnly(ResNet50Backbone.defaults()).numParams());
        // parameters do not depend on the input size or the conv2 stride
        assertEquals(expected, backboneOnly(ResNet50Backbone.builder().imageSize(64).conv2Stride(1).build())
                .numParams());
    }

    @Test
    void stageShapesAt64x64() {
        ResNet50Backbone zooStrides = ResNet50Backbone.builder().imageSize(64).build();
        Map<String, InputType> types = withHead(zooStrides).build().getLayerActivationTypes(zooStrides.inputType());
        Backbone.Stages s = ResNet50Backbone.STAGES;
        // 64 -> stem conv 32 -> max pool 15 -> conv2 (stride 2) 8 -> 4 -> 2 -> 1
        assertEquals(InputType.convolutional(4, 4, 512), types.get(s.low()));
        assertEquals(InputType.convolutional(2, 2, 1024), types.get(s.mid()));
        assertEquals(InputType.convolutional(1, 1, 2048), types.get(s.high()));

        ResNet50Backbone paper = zooStrides.toBuilder().conv2Stride(1).build();
        types = withHead(paper).build().getLayerActivationTypes(paper.inputType());
        // conv2 stride 1: 15 -> 15 -> 8 -> 4 -> 2
        assertEquals(InputType.convolutional(8, 8, 512), types.get(s.low()));
        assertEquals(InputType.convolutional(4, 4, 1024), types.get(s.mid()));
        assertEquals(InputType.convolutional(2, 2, 2048), types.get(s.high()));
    }

    @Test
    void zooStridesAt224MatchTheZooModel() {
        ResNet50Backbone backbone = ResNet50Backbone.defaults();
        Map<String, InputType> ours = withHead(backbone).build().getLayerActivationTypes(backbone.inputType());
        Map<String, InputType> zooTypes = zoo.getConfiguration()
                .getLayerActivationTypes(InputType.convolutional(224, 224, 3));
        for (String stage : List.of("stem-maxpool1", "res2c_branch", "res3d_branch", "res4f_branch", "res5c_branch")) {
            assertEquals(zooTypes.get(stage), ours.get(stage), stage);
        }
        assertEquals(InputType.convolutional(4, 4, 2048), ours.get(ResNet50Backbone.STAGES.high()));
    }

    @Test
    void forwardPassAt64x64BatchOne() {
        ResNet50Backbone backbone = ResNet50Backbone.builder().imageSize(64).build();
        ComputationGraph net = new ComputationGraph(withHead(backbone).build());
        net.init();
        INDArray image = Nd4j.rand(DataType.FLOAT, 1, 3, 64, 64);
        Map<String, INDArray> acts = net.feedForward(image, false);
        assertArrayEquals(new long[] {1, 512, 4, 4}, acts.get(ResNet50Backbone.STAGES.low()).shape());
        assertArrayEquals(new long[] {1, 1024, 2, 2}, acts.get(ResNet50Backbone.STAGES.mid()).shape());
        assertArrayEquals(new long[] {1, 2048, 1, 1}, acts.get(ResNet50Backbone.STAGES.high()).shape());
        INDArray out = acts.get("out");
        assertArrayEquals(new long[] {1, 3}, out.shape());
        assertEquals(1.0, out.sumNumber().doubleValue(), 1e-5);
        assertTrue(acts.get(ResNet50Backbone.STAGES.high()).minNumber().doubleValue() >= 0, "ReLU output");
    }

    @Test
    void smallestValidInputBuildsAndRuns() {
        ResNet50Backbone backbone = ResNet50Backbone.builder().imageSize(ResNet50Backbone.MIN_INPUT_SIZE).build();
        ComputationGraph net = new ComputationGraph(withHead(backbone).build());
        net.init();
        INDArray out = net.outputSingle(Nd4j.rand(DataType.FLOAT, 1, 3, 5, 5));
        assertArrayEquals(new long[] {1, 3}, out.shape());
    }

    @Test
    void inputBelowTheMinimumIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResNet50Backbone.builder().imageSize(4).build());
        assertTrue(e.getMessage().startsWith("height must be >= 5"), e.getMessage());
        assertTrue(e.getMessage().endsWith("found 4"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, -1})
    void conv2StrideOtherThanOneOrTwoIsRejected(int stride) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResNet50Backbone.builder().conv2Stride(stride).build());
        assertEquals("conv2Stride must be 1 (paper) or 2 (DL4J zoo), found " + stride, e.getMessage());
    }

    @Test
    void channelsMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResNet50Backbone.builder().channels(0).build());
        assertEquals("channels must be >= 1, found 0", e.getMessage());
    }

    @Test
    void defaultsAndValueSemantics() {
        ResNet50Backbone d = ResNet50Backbone.defaults();
        assertEquals("resnet50", d.name());
        assertEquals(InputType.convolutional(224, 224, 3), d.inputType());
        assertEquals(2, d.conv2Stride());
        assertEquals(d, d.toBuilder().build());
        assertEquals(d.hashCode(), d.toBuilder().build().hashCode());
        ResNet50Backbone wide = d.toBuilder().height(64).width(96).channels(1).build();
        assertEquals(InputType.convolutional(64, 96, 1), wide.inputType());
        assertTrue(!d.equals(wide));
    }
}
