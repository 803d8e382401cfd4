package org.rll4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.models.WeightImportReport.Missing;
import org.rll4j.models.WeightImportReport.ShapeMismatch;
import org.rll4j.models.WeightImportReport.Skipped;

/**
 * The one import report on both paths, with tiny networks and nothing downloaded: a DL4J model zip
 * (what a zoo zip is) restored with its checksum and copied by name, and a PyTorch-style {@code .npz}
 * written here. The target is always an {@link EmbeddingModel} with a small CNN backbone and three
 * heads; the source is an ImageNet-style classifier: a backbone, global pooling and a classifier
 * {@code out} the target does not have.
 */
class WeightImportReportTest {

    @TempDir
    Path dir;

    /** How the weights reach the target. */
    enum Route {
        /** ModelSerializer zip, {@link PretrainedWeights#restoreFile} (checksum), {@link PretrainedWeights#copyByName}. */
        DL4J_ZIP,
        /** PyTorch names and layouts in an {@code .npz}, {@link NpzWeightImporter#lenient()}. */
        NPZ
    }

    private static final SmallCnn BACKBONE = new SmallCnn(8, 8, 3, 2, 3);

    /** RLL-(L,M,H) on {@code backbone}: heads low_, mid_ and high_, each with layers holding parameters. */
    private static EmbeddingModel model(Backbone backbone) {
        return EmbeddingModel.builder().backbone(backbone).head(EmbeddingHead.global(4, RankedListLossConfig.paper()))
                .multiLevel(true).seed(2).build();
    }

    /**
     * An ImageNet-style classifier on {@code backbone}: global average pooling and a 3-class
     * {@code out}, initialised from {@code seed} (also a graph to copy zoo weights into).
     */
    static ComputationGraph classifier(Backbone backbone, long seed) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).graphBuilder().addInputs("input").setInputTypes(backbone.inputType());
        g.addLayer("pool", new GlobalPoolingLayer(PoolingType.AVG), backbone.addTo(g, "input").high())
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    /** {@link #classifier} with parameters uniform in [-0.5, 0.5), as weights to load. */
    private static ComputationGraph weights(Backbone backbone, long seed) {
        ComputationGraph net = classifier(backbone, seed);
        Nd4j.getRandom().setSeed(seed);
        net.setParams(Nd4j.rand(DataType.FLOAT, 1, net.numParams()).subi(0.5));
        return net;
    }

    private WeightImportReport load(Route route, ComputationGraph source, ComputationGraph target) throws IOException {
        switch (route) {
            case DL4J_ZIP -> {
                Path zip = dir.resolve("weights.zip");
                ModelSerializer.writeModel(source, zip.toFile(), false);
                return PretrainedWeights.copyByName(PretrainedWeights.restoreFile(zip, PretrainedWeights.adler32(zip)),
                        target);
            }
            case NPZ -> {
                Path npz = dir.resolve("weights.npz");
                NpzTestFiles.writeNpz(npz, NpzTestFiles.torchTensors(source));
                return NpzWeightImporter.lenient().importInto(target, npz);
            }
            default -> throw new AssertionError(route);
        }
    }

    /** The layers with parameters that are not the backbone's, in graph order. */
    private static List<String> headParameterLayers(EmbeddingModel model) {
        List<String> out = new ArrayList<>();
        for (org.deeplearning4j.nn.graph.vertex.GraphVertex v : PretrainedWeights.inTopologicalOrder(model.network())) {
            if (v.getLayer().numParams() > 0 && !model.backboneParameterLayers().contains(v.getVertexName())) {
                out.add(v.getVertexName());
            }
        }
        return out;
    }

    @Test
    void backboneParameterLayersAreTheBackbonesLayersWithParameters() {
        EmbeddingModel model = model(BACKBONE);
        assertEquals(List.of("conv_1", "bn_1", "conv_2", "bn_2"), model.backboneParameterLayers());
        assertEquals(Set.of("low_fc", "low_fc_bn", "low_embedding", "mid_fc", "mid_fc_bn", "mid_embedding",
                "high_bn", "high_embedding"), Set.copyOf(headParameterLayers(model)),
                "the heads of this model, for the tests below");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void aFullBackboneLoadPassesTheCheckWithTheHeadsMissing(Route route) throws IOException {
        EmbeddingModel model = model(BACKBONE);
        ComputationGraph source = weights(BACKBONE, 7);

        WeightImportReport report = load(route, source, model.network());

        assertEquals(model.backboneParameterLayers(), report.copied());
        assertEquals(2 * 3 * 3 * 3 + 2 * 4 + 3 * 2 * 3 * 3 + 3 * 4, report.copiedValues());
        assertEquals(headParameterLayers(model), report.missingInSource().stream().map(Missing::layer).toList());
        assertEquals(List.of(), report.shapeMismatches());
        assertEquals(route == Route.NPZ ? List.of("out.weight", "out.bias") : List.of("out"), report.unusedSource());
        assertFalse(report.complete());
        assertSame(report, report.requireBackboneLoaded(model));
        String summary = report.summary(model);
        assertTrue(summary.startsWith("copied 4 of 12 layers with parameters (128 values): conv_1, bn_1, conv_2, bn_2\n"
                + "not in the source, as expected: the heads' 8 layers: "), summary);
        assertTrue(summary.endsWith("\nunused in the source (" + report.unusedSource().size() + "): "
                + String.join(", ", report.unusedSource())), summary);
        assertEquals(3, summary.lines().count(), summary);
        assertEquals(3 + 8, report.summary().lines().count(), "without the model, one line per missing layer");
        for (String layer : model.backboneParameterLayers()) {
            assertTrue(source.getLayer(layer).params().equalsWithEps(model.network().getLayer(layer).params(), 1e-6),
                    layer);
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void headLayersThatDoNotFitAreNotTheBackbonesProblem(Route route) throws IOException {
        EmbeddingModel model = model(BACKBONE);
        EmbeddingModel other = EmbeddingModel.builder().backbone(BACKBONE)
                .head(EmbeddingHead.global(6, RankedListLossConfig.paper())).multiLevel(true).seed(3).build();

        WeightImportReport report = load(route, other.network(), model.network());

        assertEquals(List.of("low_embedding", "mid_embedding", "high_embedding"), report.mismatchedLayers());
        assertSame(report, report.requireBackboneLoaded(model));
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void aBackboneLayerMissingInTheSourceFailsTheCheckNamingIt(Route route) throws IOException {
        EmbeddingModel model = model(new SmallCnn(8, 8, 3, 2, 3, 4));
        INDArray conv3 = model.network().getLayer("conv_3").params().dup();

        WeightImportReport report = load(route, weights(BACKBONE, 7), model.network());

        assertEquals(List.of("conv_1", "bn_1", "conv_2", "bn_2"), report.copied());
        assertTrue(report.missingInSource().contains(new Missing("conv_3",
                List.of(route == Route.NPZ ? "conv_3.*" : "conv_3"))), report.summary());
        assertEquals(conv3, model.network().getLayer("conv_3").params(), "a missing layer keeps its initialisation");
        String looked = route == Route.NPZ ? ".*" : "";
        assertTrue(report.summary(model).contains("\nmissing in the source (2 layers):\n  conv_3 (looked for 'conv_3"
                + looked + "')\n  bn_3 (looked for 'bn_3" + looked + "')\n"), report.summary(model));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> report.requireBackboneLoaded(model));
        assertEquals("every layer with parameters of the backbone small-cnn[2,3,4] at 8x8x3 must be loaded from the"
                + " weights, found 2 of 6 not loaded: conv_3 (missing in the source, looked for 'conv_3" + looked
                + "'); bn_3 (missing in the source, looked for 'bn_3" + looked + "'). Layers missing in the source"
                + " mean weights of another network (another backbone, other stages) or other layer names: use weights"
                + " made for this backbone, or map the names (copyByName's sourceNames, NpzWeightImporter's"
                + " tensorPrefix).", e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void aMisShapedBackboneLayerIsListedWithBothShapesAndFailsTheCheck(Route route) throws IOException {
        EmbeddingModel model = model(BACKBONE);
        INDArray conv1 = model.network().getLayer("conv_1").params().dup();

        WeightImportReport report = load(route, weights(new SmallCnn(8, 8, 1, 2, 3), 7), model.network());

        String entry = route == Route.NPZ ? "conv_1.weight" : "conv_1/W";
        assertEquals(List.of(new ShapeMismatch("conv_1", "W", List.of(entry), List.of(2L, 3L, 3L, 3L),
                List.of(2L, 1L, 3L, 3L))), report.shapeMismatches());
        assertEquals(List.of("bn_1", "conv_2", "bn_2"), report.copied());
        assertEquals(conv1, model.network().getLayer("conv_1").params(), "a mis-shaped layer keeps its initialisation");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> report.requireBackboneLoaded(model));
        assertEquals("every layer with parameters of the backbone small-cnn[2,3] at 8x8x3 must be loaded from the"
                + " weights, found 1 of 4 not loaded: conv_1 (mis-shaped: W: source '" + entry + "' is [2, 1, 3, 3],"
                + " expected [2, 3, 3, 3]). Mis-shaped layers mean the same layers with other sizes: other input channels"
                + " (grayscale against RGB), other widths, or a dense layer whose input depends on the image size; build"
                + " the backbone with the channels, widths and input size the weights were trained with.",
                e.getMessage());
    }

    /** Frozen batch norms and a frozen backbone wrap the same parameters; both paths fill them. */
    @ParameterizedTest
    @EnumSource(Route.class)
    void frozenBackboneLayersLoadLikeTheLayersTheyWrap(Route route) throws IOException {
        EmbeddingModel model = EmbeddingModel.builder().backbone(BACKBONE)
                .head(EmbeddingHead.global(4, RankedListLossConfig.paper())).frozenBatchNorm(true).frozenBackbone(true)
                .seed(2).build();
        ComputationGraph source = weights(BACKBONE, 7);

        WeightImportReport report = load(route, source, model.network());

        assertSame(report, report.requireBackboneLoaded(model));
        assertTrue(source.getLayer("bn_2").params().equalsWithEps(model.network().getLayer("bn_2").params(), 1e-6));
        assertEquals(List.of(), report.notes().stream().filter(n -> n.contains("type differs")).toList(),
                "a frozen batch norm is a batch norm");
    }

    @Test
    void summaryListsEveryCategoryOneProblemALine() {
        WeightImportReport report = new WeightImportReport(List.of("conv_1", "bn_1"), 62,
                List.of(new Missing("embedding", List.of("embedding.*"))),
                List.of(new ShapeMismatch("conv_2", "W", List.of("conv_2.weight"), List.of(3L, 2L, 3L, 3L),
                                List.of(3L, 1L, 3L, 3L)),
                        new ShapeMismatch("conv_2", "b", List.of("conv_2.bias"), List.of(3L), List.of())),
                List.of(new Skipped("prelu", "PReLULayer has no PyTorch mapping")),
                List.of("fc.weight", "fc.bias"),
                List.of("ignored *.num_batches_tracked (PyTorch's batch-norm counters): 2 tensors"));

        assertEquals("""
                copied 2 of 5 layers with parameters (62 values): conv_1, bn_1
                missing in the source (1 layer):
                  embedding (looked for 'embedding.*')
                mis-shaped or absent (1 layer, 2 parameters):
                  conv_2 W: source 'conv_2.weight' is [3, 1, 3, 3], expected [3, 2, 3, 3]
                  conv_2 b: no 'conv_2.bias' in the source, expected [3]
                skipped (1 layer):
                  prelu (PReLULayer has no PyTorch mapping)
                unused in the source (2): fc.weight, fc.bias
                notes (1):
                  ignored *.num_batches_tracked (PyTorch's batch-norm counters): 2 tensors""", report.summary());
        assertEquals(List.of("embedding", "conv_2", "prelu"), report.notCopied());
        assertEquals("WeightImportReport{copied 2 layers (62 values), missing in source [embedding], mis-shaped"
                + " [conv_2], skipped [prelu], unused source 2, notes 1}", report.toString());

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> report.requireCopied(List.of("conv_1", "prelu", "pool")));
        assertEquals("the layers conv_1, prelu, pool must be loaded from the weights, found 2 of 3 not loaded:"
                + " prelu (skipped: PReLULayer has no PyTorch mapping); pool (not a layer with parameters of the target"
                + " network). Skipped layers were not tried: their type has no mapping on this import path, or the"
                + " import's layer selection left them out.",
                e.getMessage());
    }

    @Test
    void longListsAreCutInTheSummaryButKeptInTheRecord() {
        List<Missing> missing = new ArrayList<>();
        List<String> copied = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            missing.add(new Missing("m" + i, List.of("m" + i)));
            copied.add("c" + i);
        }
        WeightImportReport report = new WeightImportReport(copied, 1_234_567, missing, List.of(), List.of(), List.of(),
                List.of());

        String summary = report.summary();
        assertTrue(summary.startsWith("copied 25 of 50 layers with parameters (1,234,567 values): c0, c1, c2, c3, c4,"
                + " c5, c6, c7, c8, c9, c10, c11, ... and 13 more\nmissing in the source (25 layers):\n  m0 (looked"
                + " for 'm0')\n"), summary);
        assertTrue(summary.endsWith("\n  m19 (looked for 'm19')\n  ... and 5 more"), summary);
        assertEquals(25, report.missingInSource().size());
        assertEquals(1 + 1 + 20 + 1, summary.lines().count());
    }

    @Test
    void theRecordCopiesItsListsAndChecksTheCount() {
        List<String> copied = new ArrayList<>(List.of("a"));
        WeightImportReport report = new WeightImportReport(copied, 1, List.of(), List.of(), List.of(), List.of(),
                List.of());
        copied.add("b");
        assertEquals(List.of("a"), report.copied());
        assertTrue(report.complete());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new WeightImportReport(
                List.of(), -1, List.of(), List.of(), List.of(), List.of(), List.of()));
        assertEquals("copiedValues must be >= 0, found -1", e.getMessage());
        assertNotEquals(report, new WeightImportReport(List.of("a"), 2, List.of(), List.of(), List.of(), List.of(),
                List.of()));
    }
}
