package org.rll4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.List;

import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.loss.RankedListLossLayer;

class EmbeddingModelTest {

    static final SmallCnn CNN = new SmallCnn(16, 16, 3, 8, 16, 16);

    /** 4 classes x 3 images, each class a noisy variant of its own random pattern. */
    static DataSet batch(long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray protos = Nd4j.rand(DataType.FLOAT, 4, 3, 16, 16);
        INDArray x = Nd4j.create(DataType.FLOAT, 12, 3, 16, 16);
        float[] y = new float[12];
        for (int i = 0; i < 12; i++) {
            x.putSlice(i, protos.slice(i / 3).add(Nd4j.rand(DataType.FLOAT, 3, 16, 16).mul(0.3)));
            y[i] = i / 3;
        }
        return new DataSet(x, Nd4j.createFromArray(y).reshape(12, 1));
    }

    static EmbeddingModel single(int d) {
        return EmbeddingModel.builder().backbone(CNN).head(EmbeddingHead.global(d, RankedListLossConfig.paper()))
                .updater(new Adam(1e-2)).seed(1).build();
    }

    @Test
    void singleHeadShapesUnitNormAndATrainingStepLowersTheLoss() {
        EmbeddingModel m = single(24);
        ComputationGraph net = m.network();
        DataSet ds = batch(1);
        INDArray out = net.outputSingle(ds.getFeatures());
        assertArrayEquals(new long[] {12, 24}, out.shape());
        for (int i = 0; i < 12; i++) {
            assertEquals(1.0, out.getRow(i).norm2Number().doubleValue(), 1e-5);
        }
        double before = net.score(ds);
        for (int i = 0; i < 10; i++) {
            net.fit(ds);
        }
        assertTrue(Double.isFinite(net.score()), "finite loss");
        assertTrue(net.score(ds) < before, "loss " + before + " -> " + net.score(ds));
        assertEquals(List.of("embedding"), new EmbeddingExtractor(net).embeddingVertices());
        assertTrue(new EmbeddingExtractor(net).embed(ds.getFeatures()).equalsWithEps(net.outputSingle(ds.getFeatures()), 1e-5));
    }

    /** The images mirrored left-right (last axis of [B, C, H, W]), by plain loops. */
    private static INDArray mirrored(INDArray x) {
        INDArray m = x.dup();
        long w = x.size(3);
        for (long b = 0; b < x.size(0); b++) {
            for (long c = 0; c < x.size(1); c++) {
                for (long h = 0; h < x.size(2); h++) {
                    for (long j = 0; j < w; j++) {
                        m.putScalar(new long[] {b, c, h, j}, x.getFloat(b, c, h, w - 1 - j));
                    }
                }
            }
        }
        return m;
    }

    @Test
    void flipAveragingSumsRawEmbeddingsOfTheImageAndItsMirror() {
        EmbeddingModel m = single(8);
        ComputationGraph net = m.network();
        DataSet ds = batch(3);
        for (int i = 0; i < 3; i++) {
            net.fit(ds); // break the symmetry of a fresh network a little
        }
        INDArray x = ds.getFeatures();
        EmbeddingExtractor plain = new EmbeddingExtractor(net);
        EmbeddingExtractor flip = plain.withFlipAveraging(true);
        assertTrue(flip.flipAveraging() && !plain.flipAveraging());
        assertTrue(plain.withFlipAveraging(false) == plain);
        // e = f(x) + f(mirror x), normalised: the raw output is the output layer's input
        INDArray raw = net.feedForward(x, false).get("embedding").dup().addi(net.feedForward(mirrored(x), false).get("embedding"));
        INDArray expected = raw.divColumnVector(raw.norm2(true, 1));
        INDArray got = flip.embed(x);
        assertTrue(got.equalsWithEps(expected, 1e-5), got + " vs " + expected);
        // so a mirrored image gets the same embedding, which the plain extractor does not give
        assertTrue(flip.embed(mirrored(x)).equalsWithEps(got, 1e-5));
        assertTrue(!plain.embed(mirrored(x)).equalsWithEps(plain.embed(x), 1e-3));
        assertThrows(IllegalArgumentException.class, () -> flip.embed(Nd4j.rand(DataType.FLOAT, 2, 768)));
    }

    @Test
    void multiLevelHasThreeLossesTrainsJointlyAndConcatenatesRawHeads() {
        EmbeddingModel m = EmbeddingModel.builder().backbone(CNN).head(EmbeddingHead.global(10, RankedListLossConfig.paper()))
                .multiLevel(true).updater(new Adam(1e-2)).seed(2).build();
        ComputationGraph net = m.network();
        assertEquals(List.of("low_rll", "mid_rll", "high_rll"), net.getConfiguration().getNetworkOutputs());
        DataSet ds = batch(2);
        MultiDataSet mds = new MultiDataSet(new INDArray[] {ds.getFeatures()},
                new INDArray[] {ds.getLabels(), ds.getLabels(), ds.getLabels()});
        double before = net.score(mds);
        for (int i = 0; i < 10; i++) {
            net.fit(mds);
        }
        assertTrue(net.score(mds) < before);
        EmbeddingExtractor ex = new EmbeddingExtractor(net);
        assertEquals(List.of("low_embedding", "mid_embedding", "high_embedding"), ex.embeddingVertices());
        assertEquals(30, ex.dimension());
        INDArray e = ex.embed(ds.getFeatures());
        assertArrayEquals(new long[] {12, 30}, e.shape());
        assertEquals(1.0, e.getRow(3).norm2Number().doubleValue(), 1e-5);
        // the L head of the paper: avg-pool 5x5/3 -> conv 1x1 128 -> fc 1024 -> embedding
        assertTrue(net.getConfiguration().getVertices().containsKey("low_conv"));
        assertEquals(1024, net.getLayer("low_fc").getParam("W").size(1));
    }

    @Test
    void saveAndRestoreGiveIdenticalEmbeddings(@TempDir Path dir) throws Exception {
        EmbeddingModel m = single(8);
        DataSet ds = batch(3);
        m.network().fit(ds);
        File f = dir.resolve("model.zip").toFile();
        ModelSerializer.writeModel(m.network(), f, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(new EmbeddingExtractor(m.network()).embed(ds.getFeatures()),
                new EmbeddingExtractor(restored).embed(ds.getFeatures()));
    }

    @Test
    void transferLearningHeadSwapKeepsBackboneWeights() {
        EmbeddingModel m = single(8);
        ComputationGraph net = m.network();
        net.fit(batch(4));
        ComputationGraph swapped = new TransferLearning.GraphBuilder(net)
                .removeVertexAndConnections("rll")
                .removeVertexAndConnections("embedding")
                .addLayer("embedding", new DenseLayer.Builder().nIn(16).nOut(32).activation(Activation.IDENTITY).build(), "bn")
                .addLayer("rll", RankedListLossLayer.of(RankedListLossConfig.cub()), "embedding")
                .setOutputs("rll")
                .build();
        for (String layer : m.backboneLayers()) {
            if (net.getLayer(layer) != null && net.getLayer(layer).numParams() > 0) {
                assertEquals(net.getLayer(layer).params(), swapped.getLayer(layer).params(), layer);
            }
        }
        assertArrayEquals(new long[] {12, 32}, swapped.outputSingle(batch(5).getFeatures()).shape());
    }

    @Test
    void frozenBackboneKeepsItsWeightsWhileTheHeadTrains() {
        EmbeddingModel frozen = EmbeddingModel.builder().backbone(CNN).head(EmbeddingHead.global(8, RankedListLossConfig.paper()))
                .updater(new Sgd(0.1)).frozenBackbone(true).build();
        INDArray conv = frozen.network().getLayer("conv_1").params().dup();
        INDArray head = frozen.network().getLayer("embedding").params().dup();
        frozen.network().fit(batch(6));
        assertEquals(conv, frozen.network().getLayer("conv_1").params());
        assertFalse(head.equals(frozen.network().getLayer("embedding").params()), "the head still trains");

    }

    @Test
    void headLearningRateMultiplierAndBackboneWarmup() {
        EmbeddingModel m = EmbeddingModel.builder().backbone(CNN).head(EmbeddingHead.global(8, RankedListLossConfig.paper()))
                .updater(new Sgd(0.05)).headLearningRateMultiplier(10).build();
        assertEquals(0.5, m.network().getLearningRate("embedding"), 1e-12);
        assertEquals(0.05, m.network().getLearningRate("conv_1"), 1e-12);
        BackboneWarmup warmup = BackboneWarmup.install(m, 2);
        INDArray conv = m.network().getLayer("conv_1").params().dup();
        INDArray bnStats = m.network().getLayer("bn_1").params().dup();
        m.network().fit(batch(8));
        m.network().fit(batch(8));
        assertEquals(conv, m.network().getLayer("conv_1").params(), "frozen during warm-up");
        assertEquals(bnStats, m.network().getLayer("bn_1").params(), "batch-norm state frozen too");
        assertTrue(warmup.restored());
        assertEquals(0.05, m.network().getLearningRate("conv_1"), 1e-12);
        m.network().fit(batch(8));
        assertFalse(conv.equals(m.network().getLayer("conv_1").params()), "trains after warm-up");
    }

    @Test
    void invalidSettingsAreRejected() {
        assertEquals("embeddingDim must be >= 1, found 0", assertThrows(IllegalArgumentException.class,
                () -> EmbeddingHead.builder().embeddingDim(0).build()).getMessage());
        assertEquals("headLearningRateMultiplier must be finite and > 0, found 0.0", assertThrows(IllegalArgumentException.class,
                () -> EmbeddingModel.builder().backbone(CNN).head(EmbeddingHead.global(4, RankedListLossConfig.paper()))
                        .headLearningRateMultiplier(0).build()).getMessage());
        assertEquals("input must be at least 4x4 for 3 stages (each but the last halves it), found 2x2",
                assertThrows(IllegalArgumentException.class, () -> new SmallCnn(2, 2, 3, 4, 4, 4)).getMessage());
    }

    @Test
    void extractorEmbedsAFolderInOrderWithLabels(@TempDir Path root) throws Exception {
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 2; i++) {
                java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(20, 20, java.awt.image.BufferedImage.TYPE_INT_RGB);
                img.setRGB(i, c, 0xffffff);
                java.nio.file.Files.createDirectories(root.resolve("c" + c));
                javax.imageio.ImageIO.write(img, "png", root.resolve("c" + c + "/" + i + ".png").toFile());
            }
        }
        org.rll4j.data.ImageList list = org.rll4j.data.ImageFolderReader.read(root).images();
        EmbeddingExtractor.Embeddings e = new EmbeddingExtractor(single(6).network()).embed(
                org.rll4j.data.ImageListSource.of(list), org.rll4j.data.ImagePipeline.test(18, 16), 4);
        assertArrayEquals(new long[] {6, 6}, e.vectors().shape());
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2}, e.labels());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, e.examples());
        assertEquals(List.of(), e.skipped());
        assertEquals(1.0, e.vectors().getRow(5).norm2Number().doubleValue(), 1e-5);

        // a truncated PNG (valid signature, nothing after it) is left out and named; the rows say which images they are
        java.nio.file.Path bad = root.resolve("c1/0.png");
        java.nio.file.Files.write(bad, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0});
        EmbeddingExtractor.Embeddings skipped = new EmbeddingExtractor(single(6).network()).embed(
                org.rll4j.data.ImageListSource.of(list), org.rll4j.data.ImagePipeline.test(18, 16), 2);
        assertArrayEquals(new long[] {5, 6}, skipped.vectors().shape());
        assertArrayEquals(new int[] {0, 0, 1, 2, 2}, skipped.labels());
        assertArrayEquals(new int[] {0, 1, 3, 4, 5}, skipped.examples());
        assertEquals(List.of(bad.toString()), skipped.skipped());
    }

    @Test
    void headMultiplierFollowsTheBackboneLearningRateSchedule(@TempDir Path dir) throws Exception {
        org.nd4j.linalg.schedule.ISchedule steps = new org.nd4j.linalg.schedule.StepSchedule(
                org.nd4j.linalg.schedule.ScheduleType.ITERATION, 0.01, 0.5, 5000);
        EmbeddingModel m = EmbeddingModel.builder().backbone(CNN).head(EmbeddingHead.global(8, RankedListLossConfig.paper()))
                .updater(new org.nd4j.linalg.learning.config.Nesterovs(steps, 0.9)).headLearningRateMultiplier(10).build();
        org.nd4j.linalg.learning.config.IUpdater head = ((org.deeplearning4j.nn.conf.layers.BaseLayer)
                m.network().getLayer("embedding").conf().getLayer()).getIUpdater();
        assertEquals(0.1, head.getLearningRate(0, 0), 1e-12);
        assertEquals(0.05, head.getLearningRate(5000, 0), 1e-12);
        assertEquals(0.005, ((org.deeplearning4j.nn.conf.layers.BaseLayer) m.network().getLayer("conv_1").conf().getLayer())
                .getIUpdater().getLearningRate(5000, 0), 1e-12);
        File f = dir.resolve("m.zip").toFile();
        ModelSerializer.writeModel(m.network(), f, true);
        org.nd4j.linalg.learning.config.IUpdater restored = ((org.deeplearning4j.nn.conf.layers.BaseLayer)
                ModelSerializer.restoreComputationGraph(f, true).getLayer("embedding").conf().getLayer()).getIUpdater();
        assertEquals(0.05, restored.getLearningRate(5000, 0), 1e-12);

        BackboneWarmup warmup = BackboneWarmup.install(m, 1);
        INDArray before = m.network().getLayer("conv_1").params().dup();
        m.network().fit(batch(9));
        assertTrue(warmup.restored());
        assertEquals(before, m.network().getLayer("conv_1").params(), "frozen during warm-up with a stateful updater");
        m.network().fit(batch(9));
        assertFalse(before.equals(m.network().getLayer("conv_1").params()), "trains after the warm-up");
        org.nd4j.linalg.learning.config.IUpdater conv = ((org.deeplearning4j.nn.conf.layers.BaseLayer)
                m.network().getLayer("conv_1").conf().getLayer()).getIUpdater();
        assertEquals(0.005, conv.getLearningRate(5000, 0), 1e-12, "the backbone's step schedule is back after the warm-up");
    }

    @Test
    void aHeadSaysWhichLossLayerItEndsIn() {
        assertTrue(EmbeddingHead.global(8, RankedListLossConfig.paper()).toString().endsWith(
                "RankedListLossLayer RankedListLossFunction(" + RankedListLossConfig.paper() + ")}"));
        EmbeddingHead sd = EmbeddingHead.builder().embeddingDim(8)
                .lossLayer(() -> org.rll4j.loss.SameDiffRankedListLossLayer.of(RankedListLossConfig.paper())).build();
        assertTrue(sd.toString().endsWith(", SameDiffRankedListLossLayer}"), sd.toString());
        assertTrue(sd.withKind(EmbeddingHead.Kind.POOLED_CONV).toString().endsWith(", SameDiffRankedListLossLayer}"),
                "withKind keeps the loss layer");
    }
}
