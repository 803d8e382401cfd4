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
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** SqueezeNetBackbone against the DL4J zoo's SqueezeNet: names, wiring, parameter shapes and count. */
class SqueezeNetBackboneTest {

    private static final int ZOO_CLASSES = 10;

    private static ComputationGraph zoo;

    @BeforeAll
    static void initZoo() {
        zoo = SqueezeNet.builder().numClasses(ZOO_CLASSES).build().init();
    }

    private static ComputationGraphConfiguration.GraphBuilder withHead(SqueezeNetBackbone backbone) {
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

    private static ComputationGraph backboneOnly(SqueezeNetBackbone backbone) {
        ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
                .seed(1).graphBuilder().addInputs("input").setInputTypes(backbone.inputType());
        ComputationGraph net = new ComputationGraph(graph.setOutputs(backbone.addTo(graph, "input").high()).build());
        net.init();
        return net;
    }

    @Test
    void zooConvolutionsInheritSigmoidWhichTheBackboneReplacesWithIdentity() {
        int convs = 0;
        for (GraphVertex v : zoo.getConfiguration().getVertices().values()) {
            if (v instanceof LayerVertex && ((LayerVertex) v).getLayerConf().getLayer() instanceof ConvolutionLayer) {
                ConvolutionLayer layer = (ConvolutionLayer) ((LayerVertex) v).getLayerConf().getLayer();
                assertTrue(layer.getActivationFn() instanceof ActivationSigmoid, layer.getLayerName());
                convs++;
            }
        }
        assertEquals(1 + 8 * 3 + 1, convs, "conv1, three per fire module, conv10");
    }

    @Test
    void vertexNamesLayerSettingsAndWiringMatchTheZooWithoutItsClassifier() {
        Map<String, String> ours = LayerDescriptions.describe(withHead(SqueezeNetBackbone.defaults()).build(), "image",
                Set.of("pool", "out"));
        Map<String, String> zooDescription = LayerDescriptions.describe(zoo.getConfiguration(), "input",
                Set.copyOf(SqueezeNetBackbone.ZOO_CLASSIFIER_VERTICES));
        // the one deliberate difference (see zooConvolutionsInherit...): linear convolutions
        zooDescription.replaceAll((name, d) -> d.replace(" act=sigmoid", " act=identity"));
        assertEquals(zooDescription, ours);
        assertEquals(3 + 8 * 7 + 2, ours.size(), "stem, eight fire modules, pool3 and pool5");
    }

    @Test
    void parameterShapesMatchTheZooLayerByLayer() {
        Map<String, INDArray> zooParams = zoo.paramTable();
        Map<String, INDArray> ourParams = backboneOnly(SqueezeNetBackbone.defaults()).paramTable();
        Set<String> zooBackboneKeys = new HashSet<>();
        for (String key : zooParams.keySet()) {
            if (!key.startsWith("conv10_")) {
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
        for (String name : SqueezeNetBackbone.ZOO_CLASSIFIER_VERTICES) {
            zooClassifier += zoo.getLayer(name).numParams();
        }
        assertEquals(512L * ZOO_CLASSES + ZOO_CLASSES, zooClassifier, "conv10 (1x1, 512 -> classes)");
        long expected = zoo.numParams() - zooClassifier;
        assertEquals(722_496L, expected);
        assertEquals(expected, backboneOnly(SqueezeNetBackbone.defaults()).numParams());
    }

    @Test
    void stageShapesAt64x64And227x227() {
        Backbone.Stages s = SqueezeNetBackbone.STAGES;
        SqueezeNetBackbone small = SqueezeNetBackbone.builder().imageSize(64).build();
        Map<String, InputType> types = withHead(small).build().getLayerActivationTypes(small.inputType());
        assertEquals(InputType.convolutional(15, 15, 128), types.get(s.low()));
        assertEquals(InputType.convolutional(7, 7, 256), types.get(s.mid()));
        assertEquals(InputType.convolutional(3, 3, 512), types.get(s.high()));

        SqueezeNetBackbone d = SqueezeNetBackbone.defaults();
        types = withHead(d).build().getLayerActivationTypes(d.inputType());
        Map<String, InputType> zooTypes = zoo.getConfiguration()
                .getLayerActivationTypes(InputType.convolutional(227, 227, 3));
        for (String name : List.of(s.low(), s.mid(), s.high())) {
            assertEquals(zooTypes.get(name), types.get(name), name);
        }
        assertEquals(InputType.convolutional(13, 13, 512), types.get(s.high()));
    }

    @Test
    void forwardPassAtTheSmallestValidInput() {
        SqueezeNetBackbone backbone = SqueezeNetBackbone.builder().imageSize(SqueezeNetBackbone.MIN_INPUT_SIZE).build();
        ComputationGraph net = new ComputationGraph(withHead(backbone).build());
        net.init();
        Map<String, INDArray> acts = net.feedForward(Nd4j.rand(DataType.FLOAT, 2, 3, 31, 31), false);
        assertArrayEquals(new long[] {2, 512, 1, 1}, acts.get(SqueezeNetBackbone.STAGES.high()).shape());
        assertArrayEquals(new long[] {2, 3}, acts.get("out").shape());
    }

    @Test
    void inputBelowTheMinimumIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SqueezeNetBackbone.builder().width(30).build());
        assertEquals("width must be >= 31 (the third 3x3/2 max pooling, pool5, needs a 3x3 map), found 30",
                e.getMessage());
    }

    @Test
    void channelsMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SqueezeNetBackbone.builder().channels(-2).build());
        assertEquals("channels must be >= 1, found -2", e.getMessage());
    }

    @Test
    void defaultsAndValueSemantics() {
        SqueezeNetBackbone d = SqueezeNetBackbone.defaults();
        assertEquals("squeezenet", d.name());
        assertEquals(InputType.convolutional(227, 227, 3), d.inputType());
        assertEquals(d, d.toBuilder().build());
        assertEquals(d.hashCode(), d.toBuilder().build().hashCode());
        assertTrue(!d.equals(d.toBuilder().imageSize(64).build()));
    }
}
