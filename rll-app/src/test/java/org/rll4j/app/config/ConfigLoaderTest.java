package org.rll4j.app.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.rll4j.loss.RankedListLossConfig;

class ConfigLoaderTest {

    @Test
    void defaultsAreTheMainJob() {
        RunConfig c = ConfigLoader.defaults();
        assertEquals("folder", c.dataset().format());
        assertEquals(Path.of("datasets/emoji32/images"), c.dataset().root());
        assertEquals("halves", c.dataset().split());
        assertEquals("small-cnn", c.model().backbone());
        assertEquals(RankedListLossConfig.paper(), c.loss().config());
        assertArrayEquals(new int[] {1, 2, 4, 8}, c.evaluation().recallAt());
        assertEquals(9000, c.ui().port());
    }

    @Test
    void fileThenOverridesAndSnapshotRoundTrip(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, """
                seed: 7
                dataset: {format: cub, root: /data/CUB_200_2011, split: official, imageSize: 227, resize: 256,
                          normalization: imagenet, cropScaleMin: 0.16, flip: 0.5}
                model: {backbone: bn-inception, embeddingDim: 512, multiLevel: true}
                loss: {preset: cub, margin: 0.5}
                optimizer: {type: sgd, learningRate: 0.01, decay: 0.1, decayEvery: 2000}
                evaluation: {recallAt: [8, 1, 4, 2], bestMetric: map@r}
                """);
        RunConfig c = ConfigLoader.load(f, List.of("model.embeddingDim=64", "evaluation.recallAt=[1, 10]", "ui.enabled=false",
                "evaluation.bestMetric=recall@10"));
        assertEquals(7, c.seed());
        assertEquals(64, c.model().embeddingDim());
        assertEquals(0.5, c.loss().config().margin());
        assertEquals(RankedListLossConfig.cub().alpha(), c.loss().config().alpha());
        assertArrayEquals(new int[] {1, 10}, c.evaluation().recallAt());
        assertEquals(false, c.ui().enabled());
        assertEquals(c, ConfigLoader.fromYaml(ConfigLoader.toYaml(c)));
        RunConfig d = ConfigLoader.defaults();
        assertEquals(d, ConfigLoader.fromYaml(ConfigLoader.toYaml(d)));
    }

    @Test
    void theSparkSectionAndTheRemoteUiRoundTrip() throws Exception {
        RunConfig d = ConfigLoader.defaults();
        assertEquals(false, d.spark().enabled());
        assertEquals("", d.ui().remote());
        RunConfig c = ConfigLoader.load(null, List.of("spark.master=local[2]", "spark.workers=4", "spark.averagingFrequency=3",
                "spark.prefetch=0", "spark.collectStats=true", "ui.remote=http://10.0.0.5:9000"));
        assertEquals(new RunConfig.Spark("local[2]", 4, 3, 0, true), c.spark());
        assertEquals(true, c.spark().enabled());
        assertEquals("http://10.0.0.5:9000", c.ui().remote());
        assertEquals(c, ConfigLoader.fromYaml(ConfigLoader.toYaml(c)));
        for (String master : List.of("local", "local[*]", "local[4,2]", "spark://head:7077", "yarn", "k8s://https://api:6443")) {
            assertEquals(master, ConfigLoader.load(null, List.of("spark.master=" + master)).spark().master());
        }
    }

    @Test
    void theCrossBatchMemoryIsOffByDefaultAndRoundTrips() throws Exception {
        assertEquals(null, ConfigLoader.defaults().loss().memory());
        assertEquals(null, ConfigLoader.load(null, List.of("loss.memory.size=0")).loss().memory());
        RunConfig c = ConfigLoader.load(null, List.of("loss.memory.size=2048", "loss.memory.warmupIterations=40"));
        assertEquals(org.rll4j.loss.CrossBatchMemoryConfig.of(2048, 40), c.loss().memory());
        assertEquals(c, ConfigLoader.fromYaml(ConfigLoader.toYaml(c)));
        assertEquals(org.rll4j.loss.CrossBatchMemoryConfig.of(2048, 40),
                ((org.rll4j.loss.RankedListLossLayer) c.loss().layer()).getMemoryConfig());
        assertEquals(true, c.loss().describe().contains("cross-batch memory of 2048 after 40 iterations"), c.loss().describe());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "loss.memory.size=-5|loss.memory.size must be an integer in [0, 100000000], found -5",
        "loss.memory.warmup=10|unknown key 'loss.memory.warmup' in 'loss.memory'; allowed keys: [size, warmupIterations]",
        "loss.type=contrastive,loss.memory.size=512|loss.memory: the cross-batch memory is for the Ranked List Loss (loss.type "
                + "rll), found loss.type contrastive; remove loss.memory or set loss.type to rll",
        "loss.implementation=samediff,loss.memory.size=512|loss.memory: the cross-batch memory is computed by the kernel "
                + "implementation, found loss.implementation samediff; set loss.implementation to kernel or remove loss.memory",
        "spark.master=local[2],loss.memory.size=512|loss.memory: the cross-batch memory lives in one process, and Spark's workers "
                + "start each round from a fresh copy of the network; remove loss.memory or train without spark.master (found "
                + "'local[2]')"})
    void aMemoryWhereItCannotWorkIsRefusedByName(String overrides, String message) {
        assertEquals(message, assertThrows(ConfigException.class,
                () -> ConfigLoader.load(null, List.of(overrides.split(",")))).getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "model.embedingDim=64|unknown key 'model.embedingDim' in 'model' (did you mean 'embeddingDim'?); allowed keys: "
                + "[backbone, dropout, embeddingDim, frozenBatchNorm, head, headBatchNorm, multiLevel, pretrained, widths]",
        "modle.backbone=x|unknown key 'modle' at the top level (did you mean 'model'?); allowed keys: [dataset, evaluation, loss, "
                + "model, optimizer, output, sampler, seed, spark, training, ui]",
        "model.backbone=vgg16|model.backbone must be one of [small-cnn, bn-inception, resnet50, squeezenet], found 'vgg16'",
        "sampler.imagesPerClass=1|sampler.imagesPerClass must be an integer in [2, 1000], found 1",
        "sampler.classesPerBatch=many|sampler.classesPerBatch must be an integer in [2, 100000], found 'many'",
        "optimizer.learningRate=-1|optimizer.learningRate must be a number in [1.0E-12, 10], found -1",
        "dataset.flip=often|dataset.flip must be a number in [0, 1], found 'often'",
        "ui.enabled=maybe|ui.enabled must be true or false, found 'maybe'",
        "evaluation.recallAt=[1, x]|evaluation.recallAt[1] must be an integer >= 1, found 'x'",
        "evaluation.bestMetric=recall@16|evaluation.bestMetric must be one of recall@K for K in [1, 2, 4, 8], map@r or nmi; "
                + "found 'recall@16'",
        "loss.weightGradient=fast|loss.weightGradient must be one of [constant, flow], found 'fast'",
        "dataset.resize=16|dataset.resize (16) must be >= dataset.imageSize (32): the test crop is taken from the resized image",
        "model=3|model must be a mapping of keys, found 3",
        "dataset.split=official|dataset.split 'official' exists for cub, sop and inshop only; use 'halves' for folder",
        "model.headBatchNorm=true|model.headBatchNorm applies to the global head only (the pooled-conv head has its own "
                + "batch norms); set it to false or use model.head: global",
        "spark.master=lokal[2]|spark.master must be empty (train in this process), local[N], spark://host:port, yarn or "
                + "k8s://https://host:port; found 'lokal[2]'",
        "spark.workers=0|spark.workers must be an integer in [1, 100000], found 0",
        "spark.averagingFrequency=0|spark.averagingFrequency must be an integer in [1, 1000000], found 0",
        "ui.remote=host:9000|ui.remote must be the address of a DL4J UI, like http://host:9000, or empty; found 'host:9000'",
        "no-equals-sign|an override must look like key=value (e.g. model.embeddingDim=64), found 'no-equals-sign'"})
    void badValuesNameTheKeyTheValueAndWhatIsAllowed(String override, String message) {
        assertEquals(message, assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of(override))).getMessage());
    }

    @Test
    void lossValuesAreValidatedByTheLossConfig() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("loss.alpha=0.1",
                "loss.margin=0.4")));
        assertEquals(true, e.getMessage().startsWith("loss (type rll): margin must be in [0, alpha]"), e.getMessage());
        ConfigException baseline = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("loss.type=contrastive",
                "loss.negativeMargin=0")));
        assertEquals("loss (type contrastive): negativeMargin (m_n) must be finite and > positiveMargin = 0.0, found 0.0",
                baseline.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "contrastive|loss.positiveMargin=0.1,loss.negativeMargin=0.9|ContrastiveLossConfig{positiveMargin=0.1, negativeMargin=0.9}",
        "triplet|loss.margin=0.3,loss.mining=semi-hard|TripletLossConfig{margin=0.3, mining=SEMI_HARD}",
        "triplet||TripletLossConfig{margin=0.2, mining=BATCH_HARD}",
        "lifted-structure|loss.margin=0.5|LiftedStructureLossConfig{margin=0.5}",
        "n-pair||NPairLossConfig{l2Regularization=0.002}",
        "n-pair|loss.l2Regularization=0.01|NPairLossConfig{l2Regularization=0.01}",
        "multi-similarity|loss.beta=40|MultiSimilarityLossConfig{alpha=2.0, beta=40.0, lambda=0.5, epsilon=0.1}"})
    void everyBaselineLossIsSelectedWithItsOwnKeysAndSurvivesTheSnapshot(String type, String overrides, String expected)
            throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of("loss.type=" + type));
        if (overrides != null) {
            all.addAll(List.of(overrides.split(",")));
        }
        RunConfig c = ConfigLoader.load(null, all);
        assertEquals(type, c.loss().type());
        assertEquals(expected, c.loss().baseline().toString());
        assertEquals(c, ConfigLoader.fromYaml(ConfigLoader.toYaml(c)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "loss.tn=5|unknown key 'loss.tn' in 'loss'; allowed keys: [negativeMargin, positiveMargin, type]",
        "loss.mining=hard|unknown key 'loss.mining' in 'loss'; allowed keys: [negativeMargin, positiveMargin, type]"})
    void aKeyOfAnotherLossIsRejected(String override, String message) {
        assertEquals(message, assertThrows(ConfigException.class,
                () -> ConfigLoader.load(null, List.of("loss.type=contrastive", override))).getMessage());
        assertEquals("loss.type must be one of [rll, contrastive, triplet, lifted-structure, n-pair, multi-similarity], found 'arcface'",
                assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("loss.type=arcface"))).getMessage());
        assertEquals("loss.mining must be one of [batch-hard, semi-hard], found 'hard'", assertThrows(ConfigException.class,
                () -> ConfigLoader.load(null, List.of("loss.type=triplet", "loss.mining=hard"))).getMessage());
    }

    @Test
    void malformedFileNamesTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "model: [unclosed\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, List.of()));
        assertEquals(true, e.getMessage().startsWith("cannot parse config file " + f), e.getMessage());
        Files.writeString(f, "- a list\n");
        assertEquals("config file " + f + " must hold a mapping of sections (dataset:, model:, ...), found ArrayList",
                assertThrows(ConfigException.class, () -> ConfigLoader.load(f, List.of())).getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> ConfigLoader.load(dir.resolve("missing.yaml"), List.of()));
    }
}
