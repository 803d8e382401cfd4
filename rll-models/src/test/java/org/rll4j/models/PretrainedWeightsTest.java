package org.rll4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.deeplearning4j.zoo.PretrainedType;
import org.deeplearning4j.zoo.ZooModel;
import org.deeplearning4j.zoo.model.ResNet50;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.rll4j.models.PretrainedWeights.ZooWeights;
import org.rll4j.models.WeightImportReport.Missing;
import org.rll4j.models.WeightImportReport.ShapeMismatch;

/**
 * PretrainedWeights without real weights (no network here): file names and checksums against the
 * zoo sources, the missing-file and wrong-checksum errors (the file must survive unchanged), a
 * verified restore of a small saved graph, and copyByName between small graphs and from the zoo's
 * ResNet50 into a ResNet50Backbone graph.
 */
class PretrainedWeightsTest {

    // ------------------------------------------------------------------ files and checksums

    private static ZooModel<?> zooModel(ZooWeights weights) {
        return switch (weights) {
            case RESNET50_IMAGENET -> ResNet50.builder().build();
            case SQUEEZENET_IMAGENET -> SqueezeNet.builder().build();
        };
    }

    @ParameterizedTest
    @EnumSource(ZooWeights.class)
    void namesChecksumsAndUrlsAreTheZoos(ZooWeights weights) {
        ZooModel<?> zoo = zooModel(weights);
        String url = zoo.pretrainedUrl(PretrainedType.IMAGENET);
        assertEquals(url, weights.url());
        assertTrue(url.endsWith("/models/" + weights.fileName()), url);
        assertEquals(zoo.pretrainedChecksum(PretrainedType.IMAGENET), weights.adler32());
        assertEquals(zoo.modelName(), weights.modelName());
    }

    @Test
    void cachePathsFollowTheZooLayout(@TempDir Path base) {
        assertEquals(base.resolve("models/resnet50/resnet50_dl4j_inference.v3.zip"),
                ZooWeights.RESNET50_IMAGENET.cachedFile(base));
        assertEquals(base.resolve("models/squeezenet/squeezenet_dl4j_inference.v2.zip"),
                ZooWeights.SQUEEZENET_IMAGENET.cachedFile(base));
        assertEquals(3914447815L, ZooWeights.RESNET50_IMAGENET.adler32());
        assertEquals(3711411239L, ZooWeights.SQUEEZENET_IMAGENET.adler32());
        assertEquals(PretrainedWeights.defaultBaseDirectory().resolve("models/resnet50/resnet50_dl4j_inference.v3.zip"),
                ZooWeights.RESNET50_IMAGENET.cachedFile());
    }

    @Test
    void adler32OfAKnownString(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("w.txt");
        Files.writeString(file, "Wikipedia", StandardCharsets.US_ASCII);
        assertEquals(0x11E60398L, PretrainedWeights.adler32(file), "the example of the Adler-32 article");
    }

    @Test
    void missingFileSaysWhichFileToPutWhere(@TempDir Path base) {
        Path expected = base.resolve("models").resolve("resnet50").resolve("resnet50_dl4j_inference.v3.zip");
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> PretrainedWeights.restore(ZooWeights.RESNET50_IMAGENET, base));
        assertTrue(e.getMessage().startsWith(expected + " must be a file holding the DL4J zoo's RESNET50_IMAGENET"
                + " weights, found nothing."), e.getMessage());
        assertTrue(e.getMessage().contains("fetch " + ZooWeights.RESNET50_IMAGENET.url()), e.getMessage());
        assertTrue(e.getMessage().contains("Adler32 3914447815"), e.getMessage());
        assertFalse(Files.exists(base.resolve("models")), "no directory is created");
    }

    @Test
    void wrongChecksumFailsAndLeavesTheFileUnchanged(@TempDir Path base) throws IOException {
        Path file = ZooWeights.SQUEEZENET_IMAGENET.cachedFile(base);
        Files.createDirectories(file.getParent());
        byte[] junk = "not the squeezenet weights".getBytes(StandardCharsets.US_ASCII);
        Files.write(file, junk);
        FileTime modified = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(file, modified);
        long junkChecksum = PretrainedWeights.adler32(file);

        IOException e = assertThrows(IOException.class,
                () -> PretrainedWeights.restore(ZooWeights.SQUEEZENET_IMAGENET, base));
        assertEquals("Adler32 checksum of " + file + " must be 3711411239, found " + junkChecksum + " ("
                + junk.length + " bytes). The file was left unchanged (not deleted); "
                + "replace it with a complete copy of "
                + ZooWeights.SQUEEZENET_IMAGENET.url() + ".", e.getMessage());
        assertTrue(Files.isRegularFile(file), "the zoo would have deleted it");
        assertArrayEquals(junk, Files.readAllBytes(file));
        assertEquals(modified, Files.getLastModifiedTime(file));
        assertEquals(List.of(file.getFileName()), listDirectory(file.getParent()), "nothing added beside it");
    }

    private static List<Path> listDirectory(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(Path::getFileName).toList();
        }
    }

    @Test
    void restoreFileChecksTheChecksumThenRestores(@TempDir Path dir) throws IOException {
        ComputationGraph net = source();
        Path file = dir.resolve("small.zip");
        ModelSerializer.writeModel(net, file.toFile(), true);
        long checksum = PretrainedWeights.adler32(file);
        byte[] bytes = Files.readAllBytes(file);

        IOException e = assertThrows(IOException.class, () -> PretrainedWeights.restoreFile(file, checksum + 1));
        assertEquals("Adler32 checksum of " + file + " must be " + (checksum + 1) + ", found " + checksum + " ("
                + bytes.length + " bytes). The file was left unchanged (not deleted).", e.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(file));

        ComputationGraph restored = PretrainedWeights.restoreFile(file, checksum);
        assertEquals(net.params(), restored.params());
        assertArrayEquals(bytes, Files.readAllBytes(file));
    }

    @Test
    void restoreFileOfAMissingPathNamesIt(@TempDir Path dir) {
        Path file = dir.resolve("nope.zip");
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> PretrainedWeights.restoreFile(file, 1L));
        assertEquals(file + " must be a model file, found nothing", e.getMessage());
    }

    // ------------------------------------------------------------------ copyByName on small graphs

    /**
     * dense1 (6 -> 4), bn1 (variance stored as variance, as in pre-beta4 DL4J and Keras imports),
     * dense2 (4 -> 5), out (5 -> 3) and a side output extra (5 -> 2); random parameters, positive
     * variances.
     */
    private static ComputationGraph source() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(6))
                .addLayer("dense1", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "in")
                .addLayer("bn1", new BatchNormalization.Builder().useLogStd(false).build(), "dense1")
                .addLayer("dense2", new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build(), "bn1")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "dense2")
                .addLayer("extra", new DenseLayer.Builder().nOut(2).build(), "dense2")
                .setOutputs("out", "extra").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        Nd4j.getRandom().setSeed(7);
        net.setParams(Nd4j.rand(DataType.FLOAT, 1, net.numParams()).subi(0.5));
        INDArray var = net.getLayer("bn1").getParam("var");
        var.assign(Nd4j.rand(DataType.FLOAT, var.shape()).addi(0.25));
        return net;
    }

    /**
     * The same names but: bn1 stores log10(stdev) (DL4J's default), out has 4 classes instead of 3,
     * extra is absent and emb (5 -> 2) is new.
     */
    private static ComputationGraph target() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(2).dataType(DataType.FLOAT)
                .graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(6))
                .addLayer("dense1", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "in")
                .addLayer("bn1", new BatchNormalization.Builder().build(), "dense1")
                .addLayer("dense2", new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build(), "bn1")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
                        .activation(Activation.SOFTMAX).build(), "dense2")
                .addLayer("emb", new DenseLayer.Builder().nOut(2).build(), "dense2")
                .setOutputs("out", "emb").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    @Test
    void copyByNameReportsCopiedMissingMismatchedAndUnusedLayers() {
        ComputationGraph source = source();
        ComputationGraph target = target();
        INDArray sourceBefore = source.params().dup();
        INDArray outBefore = target.getLayer("out").params().dup();
        INDArray embBefore = target.getLayer("emb").params().dup();

        WeightImportReport report = PretrainedWeights.copyByName(source, target);

        assertEquals(List.of("dense1", "bn1", "dense2"), report.copied());
        assertEquals((6 * 4 + 4) + 4 * 4 + (4 * 5 + 5), report.copiedValues());
        assertEquals(List.of(new Missing("emb", List.of("emb"))), report.missingInSource());
        assertEquals(List.of(
                new ShapeMismatch("out", "W", List.of("out/W"), List.of(5L, 4L), List.of(5L, 3L)),
                new ShapeMismatch("out", "b", List.of("out/b"), List.of(4L), List.of(3L))), report.shapeMismatches());
        assertEquals(List.of(), report.skipped());
        assertEquals(List.of("extra"), report.unusedSource());
        assertEquals(List.of("bn1: source var converted to log10stdev"), report.notes());
        assertFalse(report.complete());
        assertEquals(List.of("emb", "out"), report.notCopied());
        assertEquals(report, report.requireCopied(List.of("dense1", "bn1", "dense2")));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> report.requireCopied(List.of("dense2", "out")));
        assertEquals("the layers dense2, out must be loaded from the weights, found 1 of 2 not loaded: out (mis-shaped:"
                + " W: source 'out/W' is [5, 3], expected [5, 4]; b: source 'out/b' is [3], expected [4]). Mis-shaped"
                + " layers mean the same layers with other sizes: other input channels (grayscale against RGB), other"
                + " widths, or a dense layer whose input depends on the image size; build the backbone with the"
                + " channels, widths and input size the weights were trained with.", e.getMessage());

        for (String layer : List.of("dense1", "dense2")) {
            assertEquals(source.getLayer(layer).getParam("W"), target.getLayer(layer).getParam("W"), layer);
            assertEquals(source.getLayer(layer).getParam("b"), target.getLayer(layer).getParam("b"), layer);
        }
        for (String p : List.of("gamma", "beta", "mean")) {
            assertEquals(source.getLayer("bn1").getParam(p), target.getLayer("bn1").getParam(p), p);
        }
        INDArray expectedLogStd = Transforms.log(source.getLayer("bn1").getParam("var"), 10.0, true).muli(0.5);
        assertTrue(expectedLogStd.equalsWithEps(target.getLayer("bn1").getParam("log10stdev"), 1e-6));
        assertEquals(outBefore, target.getLayer("out").params(), "a mismatched layer is not touched");
        assertEquals(embBefore, target.getLayer("emb").params(), "a missing layer is not touched");
        assertEquals(sourceBefore, source.params(), "the source is not modified");

        // the copied layers compute the same function in inference mode (BN conversion included)
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 6);
        Map<String, INDArray> s = source.feedForward(x, false);
        Map<String, INDArray> t = target.feedForward(x, false);
        for (String layer : List.of("bn1", "dense2")) {
            assertTrue(s.get(layer).equalsWithEps(t.get(layer), 1e-5), layer);
        }
    }

    @Test
    void batchNormVarianceConvertsBackFromLog10Stdev() {
        ComputationGraph logStd = target();
        INDArray log10stdev = logStd.getLayer("bn1").getParam("log10stdev");
        log10stdev.assign(Nd4j.rand(DataType.FLOAT, log10stdev.shape()).subi(0.5));
        INDArray mean = logStd.getLayer("bn1").getParam("mean");
        mean.assign(Nd4j.rand(DataType.FLOAT, mean.shape()));
        ComputationGraph variance = source();

        WeightImportReport report = PretrainedWeights.copyByName(logStd, variance);

        assertTrue(report.copied().contains("bn1"), report.toString());
        assertEquals(List.of("bn1: source log10stdev converted to var"), report.notes());
        INDArray expectedVar = Transforms.pow(Transforms.pow(
                Nd4j.valueArrayOf(log10stdev.shape(), 10.0, DataType.FLOAT), log10stdev), 2);
        assertTrue(expectedVar.equalsWithEps(variance.getLayer("bn1").getParam("var"), 1e-5));
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 6);
        assertTrue(logStd.feedForward(x, false).get("bn1")
                .equalsWithEps(variance.feedForward(x, false).get("bn1"), 1e-4));
    }

    @Test
    void sourceNamesMapLayersNamedDifferently() {
        ComputationGraph source = source();
        ComputationGraph target = target();

        WeightImportReport report = PretrainedWeights.copyByName(source, target, Map.of("emb", "extra"));

        assertEquals(List.of("dense1", "bn1", "dense2", "emb"), report.copied());
        assertEquals(List.of(), report.missingInSource());
        assertEquals(List.of(), report.unusedSource());
        assertEquals(List.of("out"), report.mismatchedLayers());
        assertTrue(report.notes().contains("emb: copied from source layer extra"), report.notes().toString());
        assertEquals(source.getLayer("extra").params(), target.getLayer("emb").params());
    }

    @Test
    void sourceNamesMustNameTargetLayers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainedWeights.copyByName(source(), target(), Map.of("embedding", "extra")));
        assertEquals("sourceNames keys must be target layer names, found embedding", e.getMessage());
    }

    @Test
    void identicalGraphsCopyCompletely() {
        ComputationGraph a = target();
        a.setParams(Nd4j.rand(DataType.FLOAT, 1, a.numParams()));
        ComputationGraph b = target();
        WeightImportReport report = PretrainedWeights.copyByName(a, b);
        assertTrue(report.complete(), report.summary());
        assertEquals(a.numParams(), report.copiedValues());
        assertEquals(List.of(), report.notes());
        assertEquals(a.params(), b.params());
        assertNotEquals(target().params(), b.params());
    }

    // ------------------------------------------------------------------ zoo ResNet50 -> backbone graph

    @Test
    void zooResNet50ParametersMapByNameIntoABackboneGraphAtAnotherInputSize() {
        ComputationGraph zoo = ResNet50.builder().numClasses(10).build().init();
        ComputationGraph net = WeightImportReportTest.classifier(ResNet50Backbone.builder().imageSize(64).build(), 3);

        WeightImportReport report = PretrainedWeights.copyByName(zoo, net);

        assertEquals(106, report.copied().size(), "53 convolutions + 53 batch norms");
        assertEquals(23_587_712L, report.copiedValues());
        assertEquals(List.of("out"), report.notCopied());
        assertEquals(List.of("output"), report.unusedSource());
        assertEquals(List.of(), report.notes());
        assertEquals(zoo.getLayer("res4f_branch2b").getParam("W"), net.getLayer("res4f_branch2b").getParam("W"));
        assertEquals(zoo.getLayer("bn5c_branch2c").getParam("log10stdev"),
                net.getLayer("bn5c_branch2c").getParam("log10stdev"));
    }

    @Test
    void zooSqueezeNetParametersMapByNameIntoABackboneGraph() {
        ComputationGraph zoo = SqueezeNet.builder().numClasses(10).build().init();
        ComputationGraph net = WeightImportReportTest.classifier(SqueezeNetBackbone.builder().imageSize(64).build(), 4);

        WeightImportReport report = PretrainedWeights.copyByName(zoo, net);

        assertEquals(List.of("out"), report.notCopied());
        assertEquals(1 + 8 * 3, report.copied().size(), "conv1 and three convolutions per fire module");
        assertEquals(722_496L, report.copiedValues());
        assertEquals(List.of("conv10"), report.unusedSource());
        assertEquals(zoo.getLayer("fire9_exp3x3").getParam("W"), net.getLayer("fire9_exp3x3").getParam("W"));
    }
}
