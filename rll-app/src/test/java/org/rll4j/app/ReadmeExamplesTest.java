package org.rll4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.rll4j.data.ClassSplit;
import org.rll4j.data.ExampleSource;
import org.rll4j.data.ImageFolderReader;
import org.rll4j.data.ImageList;
import org.rll4j.data.ImageListSource;
import org.rll4j.data.ImagePipeline;
import org.rll4j.data.SampledDataSetIterator;
import org.rll4j.eval.RetrievalEvaluator;
import org.rll4j.eval.RetrievalReport;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.loss.RankedListLossLayer;
import org.rll4j.models.EmbeddingExtractor;
import org.rll4j.models.EmbeddingHead;
import org.rll4j.models.EmbeddingModel;
import org.rll4j.models.PretrainedWeights;
import org.rll4j.models.SmallCnn;
import org.rll4j.sampler.ClassBalancedBatchSampler;

/** The README's code examples, as written there (keep both in step), run on small inputs. */
class ReadmeExamplesTest {

    @Test
    void usingTheLoss() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .updater(new Adam(1e-3))
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(64))
                .addLayer("hidden", new DenseLayer.Builder().nOut(128).activation(Activation.RELU).build(), "in")
                .addLayer("emb", new DenseLayer.Builder().nOut(32).activation(Activation.IDENTITY).build(), "hidden")
                .addLayer("rll", RankedListLossLayer.of(RankedListLossConfig.paper()), "emb")
                .setOutputs("rll")
                .build();
        assertEquals(3, conf.getVertices().size());
    }

    @Test
    void dataAndModels(@TempDir Path root) throws Exception {
        for (int c = 0; c < 8; c++) {
            for (int i = 0; i < 3; i++) {
                BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
                img.setRGB(c * 4 + i, c * 4, 0xff00ff);
                Files.createDirectories(root.resolve("class" + c));
                ImageIO.write(img, "png", root.resolve("class" + c + "/" + i + ".png").toFile());
            }
        }
        // README "Data"
        ImageList images = ImageFolderReader.read(root).images(); // root/<class>/<images>
        ClassSplit split = ClassSplit.halves(images);            // class-disjoint: first half of classes / second half
        ExampleSource train = ImageListSource.of(split.train());
        ClassBalancedBatchSampler sampler = ClassBalancedBatchSampler.builder()
                .labels(train.labels()).classesPerBatch(2).samplesPerClass(3).seed(42).build();
        DataSetIterator it = SampledDataSetIterator.builder().source(train).sampler(sampler)
                .pipeline(ImagePipeline.train(32)).workers(2).seed(42).build();
        assertArrayEquals(new long[] {6, 3, 32, 32}, it.next().getFeatures().shape());

        // README "Models", with the small CNN instead of ResNet-50 (no weights are downloaded here)
        EmbeddingModel model = EmbeddingModel.builder()
                .backbone(new SmallCnn(32, 32, 3, 8, 16))
                .head(EmbeddingHead.global(16, RankedListLossConfig.sop()))
                .multiLevel(false)
                .updater(new Nesterovs(0.01, 0.9)).headLearningRateMultiplier(10).weightDecay(1e-5)
                .build();
        // ... with another model's network as the source (the README's zoo file is not here)
        org.rll4j.models.WeightImportReport weights = PretrainedWeights.copyByName(
                EmbeddingModel.builder().backbone(new SmallCnn(32, 32, 3, 8, 16))
                        .head(EmbeddingHead.global(8, RankedListLossConfig.sop())).seed(7).build().network(),
                model.network());
        System.out.println(weights.summary(model));               // copied, missing, mis-shaped, unused, notes
        weights.requireBackboneLoaded(model);                     // throws, naming every backbone layer not loaded
        model.network().fit(it);
        EmbeddingExtractor.Embeddings e = new EmbeddingExtractor(model.network())
                .embed(ImageListSource.of(split.test()), ImagePipeline.test(36, 32), 64);
        assertArrayEquals(new long[] {12, 16}, e.vectors().shape());
        ((SampledDataSetIterator) it).close();

        // README "Evaluating retrieval", on the 12 test embeddings of 4 unseen classes
        Path runDir = root;
        RetrievalReport report = RetrievalEvaluator.builder()
                .recallAt(1, 2, 4, 8)                             // SOP: 1, 10, 100, 1000; In-Shop: 1, 10, 20, 30, 40, 50
                .nmi(true).clusteringF1(true).seed(42)            // k-means with one cluster per class
                .build()
                .evaluate(e.vectors(), e.labels());               // one set: each query left out of its own ranking
        System.out.print(report.toTable());
        report.writeJson(runDir.resolve("retrieval.json"));       // temp file + rename
        double r1 = report.recallAt(1);
        double mapAtR = report.mapAtR();
        double nmi = report.nmi();                                // "NMI (arithmetic)" in the table and JSON
        assertEquals(12, report.queries());
        assertTrue(r1 >= 0 && r1 <= 1 && mapAtR >= 0 && mapAtR <= 1 && nmi >= 0 && nmi <= 1, report.toTable());
        assertTrue(Files.readString(runDir.resolve("retrieval.json")).contains("\"NMI (arithmetic)\""));
        FileNotFoundException missing = assertThrows(FileNotFoundException.class, () -> PretrainedWeights.restore(
                PretrainedWeights.ZooWeights.RESNET50_IMAGENET, root.resolve("no-cache")));
        assertTrue(missing.getMessage().contains("resnet50_dl4j_inference.v3.zip"), missing.getMessage());
    }
}
