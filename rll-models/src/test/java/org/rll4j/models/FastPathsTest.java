package org.rll4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.natives.FastPaths;

/**
 * DL4J's oneDNN layer helpers run (org.rll4j.natives.FastPaths) and compute what DL4J's plain path
 * computes.
 *
 * <p>Tolerances. oneDNN's convolutions (Winograd, blocked layouts) sum in another order than DL4J's
 * im2col + GEMM, so float results differ in their last digits: one layer at a time, both float paths
 * are within 1e-6 of the double-precision result (measured: conv 1e-7, batch norm 8e-7, pooling 9e-8).
 * Through a deep network in training mode the float error grows (batch norm divides by small batch
 * deviations, ReLU kinks flip): on BN-Inception at 96 x 96 with a batch of 4, DL4J's own plain float
 * gradient is 1.0e-2 from the double-precision one, the helper path's 1.1e-2. So each float path is
 * compared with the plain path in DOUBLE, and the helper path must be as accurate as the plain one:
 * error at most {@value #ACCURACY_FACTOR} x the plain path's, or {@value #FLOOR} when both are smaller. A
 * wrong path is off by far more: before BnInception padded its average pooling explicitly, the
 * helpers' back-propagation of a padded include-pad average pool put BN-Inception's gradient 52% away.
 * The small CNN's two float paths also stay within {@value #TOLERANCE} of each other through 4 Adam steps.
 */
class FastPathsTest {

    static final double TOLERANCE = 1e-3;
    static final double ACCURACY_FACTOR = 2;
    static final double FLOOR = 1e-4;

    @BeforeAll
    static void fastPathsAreOn() {
        FastPaths.Status s = FastPaths.enable();
        assertEquals(FastPaths.Kind.ONEDNN, s.kind(), "the default build (nd4j-native onednn-avx2) must run oneDNN: " + s);
    }

    /** Builds a network with DL4J's layer helpers on or off (DL4J decides when each layer is created). */
    static ComputationGraph build(Supplier<ComputationGraph> factory, boolean helpers) {
        return FastPaths.building(helpers, factory);
    }

    /** The convolution, batch-norm and pooling layers: the ones DL4J has oneDNN helpers for. */
    static List<Layer> helped(ComputationGraph net) {
        List<Layer> out = new ArrayList<>();
        for (Layer l : net.getLayers()) {
            Object conf = l.conf().getLayer();
            if (conf instanceof ConvolutionLayer || conf instanceof BatchNormalization || conf instanceof SubsamplingLayer) {
                out.add(l);
            }
        }
        return out;
    }

    static void assertHelpers(ComputationGraph net, int atLeast) {
        List<Layer> layers = helped(net);
        assertTrue(layers.size() >= atLeast, "expected at least " + atLeast + " conv / BN / pooling layers, found " + layers.size());
        for (Layer l : layers) {
            assertNotNull(l.getHelper(), "no oneDNN helper on " + l.conf().getLayer().getLayerName());
            assertTrue(l.getHelper().getClass().getSimpleName().startsWith("MKLDNN"), l.getHelper().getClass().getName());
        }
    }

    static double relativeDifference(INDArray a, INDArray b) {
        double scale = Math.max(a.norm2Number().doubleValue(), b.norm2Number().doubleValue());
        return scale == 0 ? 0 : a.sub(b).norm2Number().doubleValue() / scale;
    }

    static void assertClose(INDArray plain, INDArray fast, String what) {
        double r = relativeDifference(plain, fast);
        assertTrue(r <= TOLERANCE, what + ": relative difference " + r + " > " + TOLERANCE);
    }

    /**
     * Forward in training and in inference mode, score and gradient of the plain and the helper float
     * paths, each against the plain path in double precision on the same weights: the helper path is
     * as accurate as the plain one.
     */
    static void assertAsAccurateAsPlain(ComputationGraph plain, ComputationGraph fast, ComputationGraph exact, DataSet ds,
                                        String what) {
        exact.setParams(plain.params().castTo(DataType.DOUBLE));
        INDArray x = ds.getFeatures();
        INDArray xd = x.castTo(DataType.DOUBLE);
        for (boolean train : new boolean[] {true, false}) {
            INDArray[] p = plain.output(train, x);
            INDArray[] f = fast.output(train, x);
            INDArray[] e = exact.output(train, xd);
            for (int i = 0; i < p.length; i++) {
                assertAsAccurate(p[i], f[i], e[i], what + ", " + (train ? "training-mode" : "inference") + " forward, output " + i);
            }
        }
        INDArray[] g = new INDArray[3];
        double[] score = new double[3];
        int i = 0;
        for (ComputationGraph n : List.of(plain, fast, exact)) {
            boolean dbl = n == exact;
            n.setInputs(dbl ? xd : x);
            INDArray[] labels = labels(n, ds);
            for (int k = 0; k < labels.length && dbl; k++) {
                labels[k] = labels[k].castTo(DataType.DOUBLE);
            }
            n.setLabels(labels);
            n.computeGradientAndScore();
            score[i] = n.score();
            g[i++] = n.gradient().gradient();
        }
        assertAsAccurate(Nd4j.scalar(score[0]), Nd4j.scalar(score[1]), Nd4j.scalar(score[2]), what + ", score");
        assertAsAccurate(g[0], g[1], g[2], what + ", gradient");
    }

    static void assertAsAccurate(INDArray plain, INDArray fast, INDArray exact, String what) {
        INDArray e = exact.castTo(DataType.DOUBLE);
        double errPlain = relativeDifference(plain.castTo(DataType.DOUBLE), e);
        double errFast = relativeDifference(fast.castTo(DataType.DOUBLE), e);
        assertTrue(errFast <= Math.max(ACCURACY_FACTOR * errPlain, FLOOR), String.format(java.util.Locale.ROOT,
                "%s: the helper path is %.2e from double precision, the plain path %.2e", what, errFast, errPlain));
    }

    static INDArray[] labels(ComputationGraph net, DataSet ds) {
        INDArray[] l = new INDArray[net.getNumOutputArrays()];
        java.util.Arrays.fill(l, ds.getLabels());
        return l;
    }

    static ComputationGraph smallCnn(boolean multiLevel, DataType type) {
        return EmbeddingModel.builder().backbone(EmbeddingModelTest.CNN).head(EmbeddingHead.global(16, RankedListLossConfig.paper()))
                .multiLevel(multiLevel).updater(new Adam(1e-2)).seed(3).dataType(type).build().network();
    }

    @Test
    void smallCnnRunsOneDnnAndComputesThePlainPathsResultsInTrainingInferenceAndAfterSaving(@TempDir Path dir)
            throws Exception {
        DataSet ds = EmbeddingModelTest.batch(5);
        ComputationGraph plain = build(() -> smallCnn(true, DataType.FLOAT), false);
        ComputationGraph fast = build(() -> smallCnn(true, DataType.FLOAT), true);
        ComputationGraph exact = build(() -> smallCnn(true, DataType.DOUBLE), false);
        for (Layer l : helped(plain)) {
            assertNull(l.getHelper(), "the plain path has no helper");
        }
        assertEquals(plain.params(), fast.params(), "same seed, same initial weights");
        assertAsAccurateAsPlain(plain, fast, exact, ds, "initial weights");

        for (int step = 0; step < 4; step++) {
            plain.fit(MultiHeadIterator.forHeads(ds, plain.getNumOutputArrays()));
            fast.fit(MultiHeadIterator.forHeads(ds, fast.getNumOutputArrays()));
        }
        assertHelpers(fast, 3 * 3 + 1);
        assertClose(plain.params(), fast.params(), "weights and BN statistics after 4 Adam steps");
        plain.setParams(fast.params());
        assertAsAccurateAsPlain(plain, fast, exact, ds, "after 4 steps");

        File file = dir.resolve("fast.zip").toFile();
        ModelSerializer.writeModel(fast, file, true);
        ComputationGraph restored = build(() -> {
            try {
                return ModelSerializer.restoreComputationGraph(file, true);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, true);
        assertHelpers(restored, 3 * 3 + 1);
        assertEquals(fast.output(false, ds.getFeatures())[0], restored.output(false, ds.getFeatures())[0],
                "a restored network computes what it computed before saving");
        assertAsAccurateAsPlain(plain, restored, exact, ds, "the restored helper network");
    }

    @Test
    void bnInceptionRunsOneDnnOnEveryConvolutionBatchNormAndPoolingLayerAsAccuratelyAsThePlainPath() {
        BnInception backbone = BnInception.builder().inputSize(96, 96).build();
        ComputationGraph plain = build(() -> BnInceptionTest.graph(backbone, 7), false);
        ComputationGraph fast = build(() -> BnInceptionTest.graph(backbone, 7), true);
        ComputationGraph exact = build(() -> {
            org.deeplearning4j.nn.conf.ComputationGraphConfiguration conf = BnInceptionTest.graphConfig(backbone);
            conf.setDataType(DataType.DOUBLE);
            ComputationGraph n = new ComputationGraph(conf);
            n.init();
            return n;
        }, false);
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3, 96, 96);
        DataSet ds = new DataSet(x, Nd4j.rand(DataType.FLOAT, 4, 1024));
        assertEquals(plain.params(), fast.params());
        assertAsAccurateAsPlain(plain, fast, exact, ds, "BN-Inception, initial weights");
        fast.fit(ds);
        assertHelpers(fast, 69 * 2 + 12);
        // Adam's first step is lr x sign(g) for every component, so a gradient component at float
        // noise level may step either way: compare on the same weights and BN statistics
        plain.setParams(fast.params());
        assertAsAccurateAsPlain(plain, fast, exact, ds, "BN-Inception after a step");
    }
}
