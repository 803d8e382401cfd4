package org.rll4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.PReLULayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

class NpzWeightImporterTest {

    @TempDir
    Path dir;

    // ---------------------------------------------------------------------------------------------
    // a small network with the BN-Inception naming scheme

    /**
     * conv1/7x7_s2 (3x3, 3 -> 4) + BN storing the variance + ReLU, inception_3a/1x1 (1x1, 4 -> 5) + BN with
     * DL4J's default log10(std) parameterisation, global average pooling, dense "fc" (5 -> 2), MSE loss;
     * optionally a PReLU layer (a parameterised type the importer does not map).
     */
    private static ComputationGraph stemNet(long seed, boolean withPrelu) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(seed)
                .graphBuilder().addInputs("input")
                .addLayer("conv1/7x7_s2", new ConvolutionLayer.Builder(3, 3).nIn(3).nOut(4)
                        .activation(Activation.IDENTITY).build(), "input")
                .addLayer("conv1/7x7_s2_bn", new BatchNormalization.Builder().nOut(4).useLogStd(false).build(),
                        "conv1/7x7_s2")
                .addLayer("conv1/7x7_s2_relu", new ActivationLayer(Activation.RELU), "conv1/7x7_s2_bn")
                .addLayer("inception_3a/1x1", new ConvolutionLayer.Builder(1, 1).nOut(5)
                        .activation(Activation.IDENTITY).build(), "conv1/7x7_s2_relu")
                .addLayer("inception_3a/1x1_bn", new BatchNormalization.Builder().nOut(5).build(), "inception_3a/1x1")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "inception_3a/1x1_bn")
                .addLayer("fc", new DenseLayer.Builder().nOut(2).activation(Activation.IDENTITY).build(), "gap");
        String last = "fc";
        if (withPrelu) {
            g.addLayer("prelu", new PReLULayer.Builder().inputShape(2).build(), "fc");
            last = "prelu";
        }
        g.addLayer("loss", new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                .build(), last).setOutputs("loss").setInputTypes(InputType.convolutional(6, 6, 3));
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    private static INDArray random(Random r, boolean positive, long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = positive ? 0.05f + r.nextFloat() : (float) r.nextGaussian();
        }
        return Nd4j.createFromArray(v).reshape(shape);
    }

    /** PyTorch-port tensors for {@link #stemNet}: underscore names, one slash name, a BN counter. */
    private static Map<String, INDArray> stemTensors() {
        Random r = new Random(11);
        Map<String, INDArray> t = new LinkedHashMap<>();
        t.put("conv1_7x7_s2.weight", random(r, false, 4, 3, 3, 3));
        t.put("conv1_7x7_s2.bias", random(r, false, 4));
        t.put("conv1_7x7_s2_bn.weight", random(r, true, 4));
        t.put("conv1_7x7_s2_bn.bias", random(r, false, 4));
        t.put("conv1_7x7_s2_bn.running_mean", random(r, false, 4));
        t.put("conv1_7x7_s2_bn.running_var", random(r, true, 4));
        t.put("conv1_7x7_s2_bn.num_batches_tracked", Nd4j.scalar(1234L));
        t.put("inception_3a/1x1.weight", random(r, false, 5, 4, 1, 1));
        t.put("inception_3a_1x1.bias", random(r, false, 5));
        t.put("inception_3a_1x1_bn.weight", random(r, true, 5));
        t.put("inception_3a_1x1_bn.bias", random(r, false, 5));
        t.put("inception_3a_1x1_bn.running_mean", random(r, false, 5));
        t.put("inception_3a_1x1_bn.running_var", random(r, true, 5).castTo(DataType.DOUBLE));
        t.put("fc.weight", random(r, false, 2, 5));
        t.put("fc.bias", random(r, false, 2));
        return t;
    }

    private Path write(Map<String, INDArray> tensors) throws IOException {
        Path f = dir.resolve("weights.npz");
        NpzTestFiles.writeNpz(f, tensors);
        return f;
    }

    private static INDArray param(ComputationGraph net, String layer, String key) {
        return net.getLayer(layer).getParam(key);
    }

    private static void assertSameValues(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff < 1e-6, what + ": max |difference| " + diff);
    }

    // ---------------------------------------------------------------------------------------------
    // reading

    private Path resource(String name) throws URISyntaxException {
        return Path.of(getClass().getResource("/npz/" + name).toURI());
    }

    /** Files written by numpy 2.4.6 ({@code src/test/resources/npz/make_fixtures.py}). */
    @ParameterizedTest
    @ValueSource(strings = {"numpy_savez.npz", "numpy_savez_compressed.npz"})
    void readsFilesWrittenByNumpy(String file) throws Exception {
        Map<String, INDArray> m = NpzWeightImporter.readNpz(resource(file));
        assertEquals(List.of("conv1_7x7_s2.weight", "conv1_7x7_s2_bn.running_var",
                "conv1_7x7_s2_bn.num_batches_tracked", "fortran", "big_endian", "scalar", "inception_3a/1x1.bias"),
                new ArrayList<>(m.keySet()));

        INDArray w = m.get("conv1_7x7_s2.weight");
        assertEquals(DataType.FLOAT, w.dataType());
        assertArrayEquals(new long[] {2, 3, 2, 2}, w.shape());
        assertEquals(Nd4j.arange(24).castTo(DataType.FLOAT).reshape(2, 3, 2, 2).divi(4), w);
        assertEquals(5.25f, w.getFloat(1, 2, 0, 1)); // 21 / 4, C order
        assertEquals(Nd4j.createFromArray(0.25, 4.0), m.get("conv1_7x7_s2_bn.running_var"));
        INDArray count = m.get("conv1_7x7_s2_bn.num_batches_tracked");
        assertEquals(DataType.INT64, count.dataType());
        assertEquals(0, count.rank());
        assertEquals(7L, count.getLong(0));
        assertEquals(Nd4j.createFromArray(new float[][] {{0, 1, 2}, {3, 4, 5}}), m.get("fortran"));
        assertEquals(Nd4j.createFromArray(1.5f, -2.0f, 3.25f), m.get("big_endian"));
        assertEquals(0, m.get("scalar").rank());
        assertEquals(-0.5f, m.get("scalar").getFloat(0));
        assertEquals(Nd4j.createFromArray(0.125f, -8.0f), m.get("inception_3a/1x1.bias"));
    }

    /** The test writer is checked against an independent reader (ND4J's own npz parser). */
    @Test
    void testWriterAgreesWithNd4jsReader() throws Exception {
        Map<String, INDArray> t = stemTensors();
        t.remove("conv1_7x7_s2_bn.num_batches_tracked");
        Path f = write(t);
        Map<String, INDArray> nd4j = Nd4j.createFromNpzFile(f.toFile());
        Map<String, INDArray> ours = NpzWeightImporter.readNpz(f);
        assertEquals(t.keySet(), nd4j.keySet());
        for (String k : t.keySet()) {
            assertSameValues(t.get(k), nd4j.get(k), "nd4j " + k);
            assertEquals(t.get(k), ours.get(k), "ours " + k);
        }
    }

    @Test
    void missingFileSaysWhichFileToPutWhere() {
        Path missing = dir.resolve("pretrained/bn_inception.npz");
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> NpzWeightImporter.strict().importInto(stemNet(1, false), missing));
        assertTrue(e.getMessage().startsWith("weights file must exist, found nothing at " + missing.toAbsolutePath()
                + "; export the PyTorch state_dict there with numpy: np.savez('" + missing.toAbsolutePath()), e.getMessage());
        assertFalse(Files.exists(missing.getParent()));

        e = assertThrows(FileNotFoundException.class, () -> NpzWeightImporter.readNpz(dir));
        assertTrue(e.getMessage().contains("must be a regular .npz file"), e.getMessage());
    }

    @Test
    void filesThatAreNotNpzArchivesOfSupportedArraysFailClearly() throws Exception {
        Path text = dir.resolve("notes.npz");
        Files.writeString(text, "not a zip");
        IOException e = assertThrows(IOException.class, () -> NpzWeightImporter.readNpz(text));
        assertTrue(e.getMessage().startsWith("weights file must be an .npz (zip) archive"), e.getMessage());

        Path pth = dir.resolve("bn_inception.pth");
        NpzTestFiles.writeZip(pth, Map.of("archive/data.pkl", new byte[] {1, 2, 3}), true);
        e = assertThrows(IOException.class, () -> NpzWeightImporter.readNpz(pth));
        assertTrue(e.getMessage().contains("must be .npy arrays (numpy.savez), found 'archive/data.pkl'"), e.getMessage());
        assertTrue(e.getMessage().contains("np.savez(path, **{k: v.cpu().numpy()"), e.getMessage());

        Path complex = dir.resolve("complex.npz");
        NpzTestFiles.writeZip(complex, Map.of("c.npy", NpzTestFiles.npy("<c8", false, new long[] {2}, new byte[16])),
                false);
        e = assertThrows(IOException.class, () -> NpzWeightImporter.readNpz(complex));
        assertEquals("array 'c' in " + complex.toAbsolutePath() + " must have dtype float32, float64, int or bool"
                + " ('<f4', '<f8', '<i8', ...), found '<c8'; export with v.float().numpy()", e.getMessage());

        Path pickled = dir.resolve("pickled.npz");
        NpzTestFiles.writeZip(pickled, Map.of("o.npy", NpzTestFiles.npy("|O", false, new long[] {1}, new byte[8])),
                false);
        e = assertThrows(IOException.class, () -> NpzWeightImporter.readNpz(pickled));
        assertTrue(e.getMessage().contains("found '|O'"), e.getMessage());

        Path truncated = dir.resolve("truncated.npz");
        NpzTestFiles.writeZip(truncated, Map.of("t.npy", NpzTestFiles.npy("<f4", false, new long[] {2, 3}, new byte[20])),
                true);
        e = assertThrows(IOException.class, () -> NpzWeightImporter.readNpz(truncated));
        assertEquals("array 't' in " + truncated.toAbsolutePath() + " must hold 6 values of <f4 (24 bytes), found 20 bytes",
                e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------
    // importing

    @Test
    void valuesLandInTheRightParametersIncludingRunningStatistics() throws Exception {
        Map<String, INDArray> t = stemTensors();
        Path f = write(t);
        byte[] before = Files.readAllBytes(f);
        FileTime modified = Files.getLastModifiedTime(f);
        ComputationGraph net = stemNet(5, false);

        WeightImportReport report = NpzWeightImporter.strict().importInto(net, f);

        assertSameValues(t.get("conv1_7x7_s2.weight"), param(net, "conv1/7x7_s2", "W"), "conv W");
        assertSameValues(t.get("conv1_7x7_s2.bias"), param(net, "conv1/7x7_s2", "b"), "conv b");
        assertSameValues(t.get("conv1_7x7_s2_bn.weight"), param(net, "conv1/7x7_s2_bn", "gamma"), "gamma");
        assertSameValues(t.get("conv1_7x7_s2_bn.bias"), param(net, "conv1/7x7_s2_bn", "beta"), "beta");
        assertSameValues(t.get("conv1_7x7_s2_bn.running_mean"), param(net, "conv1/7x7_s2_bn", "mean"), "mean");
        assertSameValues(t.get("conv1_7x7_s2_bn.running_var"), param(net, "conv1/7x7_s2_bn", "var"), "var");
        assertSameValues(t.get("inception_3a/1x1.weight"), param(net, "inception_3a/1x1", "W"), "slash-form W");
        assertSameValues(t.get("inception_3a_1x1.bias"), param(net, "inception_3a/1x1", "b"), "3a b");
        assertSameValues(t.get("inception_3a_1x1_bn.running_mean"), param(net, "inception_3a/1x1_bn", "mean"), "3a mean");
        INDArray log10Std = Transforms.log(t.get("inception_3a_1x1_bn.running_var"), 10.0, true).muli(0.5);
        assertSameValues(log10Std, param(net, "inception_3a/1x1_bn", "log10stdev"), "log10stdev");
        assertSameValues(t.get("fc.weight").transpose(), param(net, "fc", "W"), "dense W (transposed)");
        assertSameValues(t.get("fc.bias"), param(net, "fc", "b"), "dense b");

        assertEquals(List.of("conv1/7x7_s2", "conv1/7x7_s2_bn", "inception_3a/1x1", "inception_3a/1x1_bn", "fc"),
                report.copied());
        assertEquals((4 * 3 * 3 * 3 + 4) + 4 * 4 + (5 * 4 + 5) + 5 * 4 + (5 * 2 + 2), report.copiedValues());
        assertEquals(List.of("ignored *.num_batches_tracked (PyTorch's batch-norm counters): 1 tensor"), report.notes());
        assertEquals(List.of(), report.unusedSource());
        assertTrue(report.complete());

        // the file is untouched
        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(modified, Files.getLastModifiedTime(f));
    }

    /** Inference uses the imported statistics as PyTorch does: (x - running_mean) / sqrt(running_var + eps). */
    @Test
    void batchNormInferenceUsesTheImportedRunningStatistics() throws Exception {
        Map<String, INDArray> t = stemTensors();
        ComputationGraph net = stemNet(5, false);
        NpzWeightImporter.strict().importInto(net, write(t));
        Map<String, INDArray> a = net.feedForward(Nd4j.rand(DataType.FLOAT, 2, 3, 6, 6), false);
        // DL4J's ActivationLayer applies ReLU in place at inference, so the vertex that feeds a ReLU reports
        // post-ReLU values; the log10(std) BN feeds global pooling and is compared raw
        checkBn(a.get("conv1/7x7_s2"), a.get("conv1/7x7_s2_bn"), t, "conv1_7x7_s2_bn", true);
        checkBn(a.get("inception_3a/1x1"), a.get("inception_3a/1x1_bn"), t, "inception_3a_1x1_bn", false);
    }

    private static void checkBn(INDArray in, INDArray out, Map<String, INDArray> t, String bn, boolean relu) {
        int c = (int) in.size(1);
        INDArray expected = Nd4j.create(DataType.DOUBLE, in.shape());
        for (int ch = 0; ch < c; ch++) {
            double mean = t.get(bn + ".running_mean").getDouble(ch);
            double std = Math.sqrt(t.get(bn + ".running_var").getDouble(ch) + 1e-5);
            double gamma = t.get(bn + ".weight").getDouble(ch);
            double beta = t.get(bn + ".bias").getDouble(ch);
            INDArray x = in.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.point(ch)).castTo(DataType.DOUBLE);
            expected.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(ch))
                    .assign(x.sub(mean).div(std).mul(gamma).add(beta));
        }
        if (relu) {
            Transforms.relu(expected, false);
        }
        assertTrue(expected.gt(0).castTo(DataType.INT32).sumNumber().intValue() > 10, "enough positive values");
        double diff = expected.sub(out.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff < 1e-4, bn + ": max |difference| " + diff);
    }

    @Test
    void misShapedTensorIsReportedWithBothShapes() throws Exception {
        Map<String, INDArray> t = stemTensors();
        t.put("conv1_7x7_s2.weight", Nd4j.rand(DataType.FLOAT, 4, 3, 1, 1));
        Path f = write(t);

        ComputationGraph strictNet = stemNet(5, false);
        INDArray params = strictNet.params().dup();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NpzWeightImporter.strict().importInto(strictNet, f));
        assertTrue(e.getMessage().contains("Mis-shaped or absent: conv1/7x7_s2 W: source 'conv1_7x7_s2.weight' is"
                + " [4, 3, 1, 1], expected [4, 3, 3, 3]."), e.getMessage());
        assertEquals(params, strictNet.params(), "strict mode must import nothing");

        ComputationGraph net = stemNet(5, false);
        INDArray conv = net.getLayer("conv1/7x7_s2").params().dup();
        WeightImportReport report = NpzWeightImporter.lenient().importInto(net, f);
        assertEquals(List.of(new WeightImportReport.ShapeMismatch("conv1/7x7_s2", "W", List.of("conv1_7x7_s2.weight"),
                List.of(4L, 3L, 3L, 3L), List.of(4L, 3L, 1L, 1L))), report.shapeMismatches());
        assertEquals(List.of("conv1/7x7_s2_bn", "inception_3a/1x1", "inception_3a/1x1_bn", "fc"), report.copied());
        assertFalse(report.complete());
        assertEquals(conv, net.getLayer("conv1/7x7_s2").params(), "a layer with a mis-shaped tensor is not imported,"
                + " not even its bias");
        assertSameValues(t.get("conv1_7x7_s2_bn.bias"), param(net, "conv1/7x7_s2_bn", "beta"), "the other layers are");
    }

    @Test
    void unmatchedTensorsAreReportedAndDoNotFailStrictMode() throws Exception {
        Map<String, INDArray> t = stemTensors();
        t.put("last_linear.weight", Nd4j.rand(DataType.FLOAT, 10, 5));
        t.put("conv3_3x3.weight", Nd4j.rand(DataType.FLOAT, 2, 2, 3, 3));
        WeightImportReport report = NpzWeightImporter.strict().importInto(stemNet(5, false), write(t));
        assertEquals(List.of("last_linear.weight", "conv3_3x3.weight"), report.unusedSource());
        assertTrue(report.complete());
        assertEquals(5, report.copied().size());
    }

    @Test
    void strictFailureListsEveryProblemAndImportsNothing() throws Exception {
        Map<String, INDArray> t = stemTensors();
        t.remove("inception_3a_1x1_bn.running_mean");
        t.remove("fc.bias");
        for (String suffix : List.of(".weight", ".bias", ".running_mean", ".running_var")) {
            t.remove("conv1_7x7_s2_bn" + suffix);
        }
        t.put("conv1_7x7_s2.bias", Nd4j.rand(DataType.FLOAT, 3));
        t.put("fc8.weight", Nd4j.rand(DataType.FLOAT, 3));
        Path f = write(t);
        ComputationGraph net = stemNet(5, false);
        INDArray params = net.params().dup();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NpzWeightImporter.strict().importInto(net, f));
        assertEquals("weights in " + f.toAbsolutePath() + " must provide every parameter of the selected layers with"
                + " the expected shape (strict mode), found 1 layer missing and 3 parameters mis-shaped or absent;"
                + " nothing was imported."
                + " Missing: conv1/7x7_s2_bn (looked for 'conv1/7x7_s2_bn.*' or 'conv1_7x7_s2_bn.*')."
                + " Mis-shaped or absent: conv1/7x7_s2 b: source 'conv1_7x7_s2.bias' is [3], expected [4];"
                + " inception_3a/1x1_bn mean: no 'inception_3a/1x1_bn.running_mean' or"
                + " 'inception_3a_1x1_bn.running_mean' in the source, expected [5];"
                + " fc b: no 'fc.bias' in the source, expected [2]."
                + " Unused tensors: fc8.weight."
                + " Use NpzWeightImporter.lenient() to import what matches, or builder().layers(...) to restrict"
                + " the import.", e.getMessage());
        assertEquals(params, net.params());

        WeightImportReport report = NpzWeightImporter.lenient().importInto(net, f);
        assertEquals(List.of(new WeightImportReport.Missing("conv1/7x7_s2_bn",
                List.of("conv1/7x7_s2_bn.*", "conv1_7x7_s2_bn.*"))), report.missingInSource());
        assertEquals(List.of("conv1/7x7_s2", "inception_3a/1x1_bn", "fc"), report.mismatchedLayers());
        assertEquals(List.of("inception_3a/1x1_bn.running_mean", "inception_3a_1x1_bn.running_mean"),
                report.shapeMismatches().get(1).sourceNames());
        assertEquals(List.of("fc8.weight"), report.unusedSource());
        assertEquals(List.of("inception_3a/1x1"), report.copied());
        assertEquals(List.of("conv1/7x7_s2_bn", "conv1/7x7_s2", "inception_3a/1x1_bn", "fc"), report.notCopied());
    }

    @Test
    void slashFormWinsWhenBothFormsArePresent() throws Exception {
        Map<String, INDArray> t = stemTensors();
        t.put("conv1/7x7_s2.bias", Nd4j.createFromArray(1f, 2f, 3f, 4f));
        ComputationGraph net = stemNet(5, false);
        WeightImportReport report = NpzWeightImporter.strict().importInto(net, write(t));
        assertEquals(Nd4j.createFromArray(1f, 2f, 3f, 4f), param(net, "conv1/7x7_s2", "b"));
        assertEquals(List.of("conv1_7x7_s2.bias"), report.unusedSource());
    }

    @Test
    void tensorPrefixIsRemovedBeforeMatching() throws Exception {
        Map<String, INDArray> t = new LinkedHashMap<>();
        stemTensors().forEach((k, v) -> t.put("module." + k, v));
        t.put("other.weight", Nd4j.rand(DataType.FLOAT, 2));
        t.remove("module.fc.bias");
        NpzWeightImporter importer = NpzWeightImporter.builder().mode(NpzWeightImporter.Mode.LENIENT)
                .tensorPrefix("module.").build();
        ComputationGraph net = stemNet(5, false);
        WeightImportReport report = importer.importInto(net, t);
        assertEquals(List.of("conv1/7x7_s2", "conv1/7x7_s2_bn", "inception_3a/1x1", "inception_3a/1x1_bn"),
                report.copied());
        assertEquals(List.of("other.weight"), report.unusedSource());
        assertEquals(List.of("ignored *.num_batches_tracked (PyTorch's batch-norm counters): 1 tensor"), report.notes());
        assertEquals(List.of("module.fc.bias"), report.shapeMismatches().get(0).sourceNames());
        assertSameValues(t.get("module.conv1_7x7_s2.weight"), param(net, "conv1/7x7_s2", "W"), "prefixed");
    }

    @Test
    void layerScopeRestrictsTheImportAndUnsupportedLayersAreSkipped() throws Exception {
        Map<String, INDArray> t = stemTensors();
        ComputationGraph net = stemNet(5, true);
        INDArray fcBefore = param(net, "fc", "W").dup();
        NpzWeightImporter scoped = NpzWeightImporter.builder()
                .layers(List.of("conv1/7x7_s2", "conv1/7x7_s2_bn")).build();
        WeightImportReport report = scoped.importInto(net, t);
        assertEquals(List.of("conv1/7x7_s2", "conv1/7x7_s2_bn"), report.copied());
        assertEquals(fcBefore, param(net, "fc", "W"));
        assertTrue(report.unusedSource().contains("fc.weight"));
        assertEquals(List.of(
                new WeightImportReport.Skipped("inception_3a/1x1", "not in the importer's layers(...)"),
                new WeightImportReport.Skipped("inception_3a/1x1_bn", "not in the importer's layers(...)"),
                new WeightImportReport.Skipped("fc", "not in the importer's layers(...)"),
                new WeightImportReport.Skipped("prelu", "not in the importer's layers(...)")), report.skipped());

        report = NpzWeightImporter.strict().importInto(net, t);
        assertEquals(List.of(new WeightImportReport.Skipped("prelu", "PReLULayer has no PyTorch mapping")),
                report.skipped());
        assertEquals(List.of("prelu"), report.notCopied(), "a skipped layer does not fail strict mode");
    }

    @Test
    void builderAndScopeValidation() {
        ComputationGraph net = stemNet(5, false);
        Map<String, INDArray> t = stemTensors();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NpzWeightImporter.builder()
                .layers(List.of("conv1/7x7_s2", "conv9")).build().importInto(net, t));
        assertEquals("layers must name layers of the graph, found 'conv9' which the graph does not have", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NpzWeightImporter.builder()
                .layers(List.of("conv1/7x7_s2_relu")).build().importInto(net, t));
        assertEquals("layers must name convolution, batch-norm, dense or output layers, found 'conv1/7x7_s2_relu'"
                + " of type ActivationLayer", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NpzWeightImporter.builder().layers(List.of()).build());
        assertTrue(e.getMessage().startsWith("layers must name at least one layer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NpzWeightImporter.builder().layers(List.of("a", "a")).build());
        assertEquals("layers must be distinct, found 'a' twice", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NpzWeightImporter.builder().mode(null).build());
        assertEquals("mode must be STRICT or LENIENT, found null", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NpzWeightImporter.builder().tensorPrefix(null).build());
        assertTrue(e.getMessage().startsWith("tensorPrefix must be non-null"), e.getMessage());

        Map<String, INDArray> bad = stemTensors();
        bad.put("conv1_7x7_s2_bn.running_var", Nd4j.createFromArray(1f, -1f, 1f, 1f));
        e = assertThrows(IllegalArgumentException.class, () -> NpzWeightImporter.lenient().importInto(net, bad));
        assertEquals("running_var must be finite and >= 0, found -1.0 at index 1 of tensor 'conv1_7x7_s2_bn.running_var'",
                e.getMessage());

        ComputationGraph uninitialised = new ComputationGraph(stemNet(5, false).getConfiguration());
        IllegalStateException s = assertThrows(IllegalStateException.class,
                () -> NpzWeightImporter.strict().importInto(uninitialised, t));
        assertTrue(s.getMessage().startsWith("net must be initialised"), s.getMessage());
    }

    @Test
    void layerNamesThatCoincideAfterSlashReplacementCannotShareATensor() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("input")
                .addLayer("x_y", new ConvolutionLayer.Builder(1, 1).nIn(1).nOut(1).build(), "input")
                .addLayer("x/y", new ConvolutionLayer.Builder(1, 1).nIn(1).nOut(1).build(), "x_y")
                .addLayer("loss", new org.deeplearning4j.nn.conf.layers.CnnLossLayer.Builder(
                        LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build(), "x/y")
                .setOutputs("loss").setInputTypes(InputType.convolutional(2, 2, 1)).build());
        net.init();
        Map<String, INDArray> t = Map.of("x_y.weight", Nd4j.ones(DataType.FLOAT, 1, 1, 1, 1),
                "x_y.bias", Nd4j.ones(DataType.FLOAT, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NpzWeightImporter.lenient().importInto(net, t));
        assertTrue(e.getMessage().startsWith("tensor 'x_y."), e.getMessage());
        assertTrue(e.getMessage().contains("must match one parameter, found two: x_y "), e.getMessage());
    }

    /**
     * The whole BN-Inception backbone (at 64x64, same parameters as at 227) exported under the PyTorch
     * port's names with a classifier and BN counters, as a converted {@code .pth} would be, then imported
     * into a differently initialised network: every one of the 10,290,272 values must arrive.
     */
    @Test
    void fullBnInceptionRoundTripUnderPyTorchNames() throws Exception {
        BnInception backbone = BnInception.builder().inputSize(64, 64).build();
        ComputationGraph source = BnInceptionTest.graph(backbone, 1);
        source.setParams(Nd4j.rand(DataType.FLOAT, 1, source.numParams()).addi(0.01)); // variances stay > 0

        Map<String, INDArray> t = NpzTestFiles.torchTensors(source);
        for (String name : backbone.parameterLayerNames()) {
            if (name.endsWith("_bn")) {
                t.put(name.replace('/', '_') + ".num_batches_tracked", Nd4j.scalar(100L));
            }
        }
        t.put("fc.weight", Nd4j.rand(DataType.FLOAT, 10, 1024));
        t.put("fc.bias", Nd4j.rand(DataType.FLOAT, 10));
        Path f = write(t);

        ComputationGraph target = BnInceptionTest.graph(backbone, 2);
        WeightImportReport report = NpzWeightImporter.builder().layers(backbone.parameterLayerNames()).build()
                .importInto(target, f);
        assertEquals(69 * 2, report.copied().size(), "69 convolutions, 69 batch norms");
        assertEquals(Set.copyOf(backbone.parameterLayerNames()), Set.copyOf(report.copied()));
        assertEquals(source.numParams(), report.copiedValues());
        assertEquals(List.of("fc.weight", "fc.bias"), report.unusedSource());
        assertEquals(List.of("ignored *.num_batches_tracked (PyTorch's batch-norm counters): 69 tensors"),
                report.notes());
        assertEquals(source.params(), target.params());
    }

    /** The test writer produces numpy's exact bytes (compared with entries numpy 2.4.6 wrote). */
    @Test
    void testWriterIsByteIdenticalToNumpy() throws Exception {
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(resource("numpy_savez.npz").toFile())) {
            byte[] weight = zip.getInputStream(zip.getEntry("conv1_7x7_s2.weight.npy")).readAllBytes();
            byte[] scalar = zip.getInputStream(zip.getEntry("scalar.npy")).readAllBytes();
            assertArrayEquals(weight, NpzTestFiles.npy(
                    Nd4j.arange(24).castTo(DataType.FLOAT).reshape(2, 3, 2, 2).divi(4)));
            assertArrayEquals(scalar, NpzTestFiles.npy(Nd4j.scalar(-0.5f)));
        }
    }
}
