package org.rll4j.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.rll4j.app.run.ModelFactory;
import org.rll4j.loss.RankedListLossConfig;

/** Every config in configs/ loads, names a backbone that accepts its input, and survives the snapshot round trip. */
class ShippedConfigsTest {

    static Stream<Path> configs() throws Exception {
        return Files.list(Path.of("..", "configs")).filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void loadsAndBuildsItsBackbone(Path file) throws Exception {
        RunConfig c = ConfigLoader.load(file, List.of());
        assertNotNull(ModelFactory.backbone(c));
        assertEquals(c, ConfigLoader.fromYaml(ConfigLoader.toYaml(c)));
    }

    @org.junit.jupiter.api.Test
    void theMainJobConfigIsTheDefaultsAndThePaperPresetsMatchTheDesignDoc() throws Exception {
        assertEquals(ConfigLoader.defaults(), ConfigLoader.load(Path.of("..", "configs", "emoji32.yaml"), List.of()));
        RunConfig sop = ConfigLoader.load(Path.of("..", "configs", "sop.yaml"), List.of());
        assertEquals(RankedListLossConfig.sop(), sop.loss().config());
        assertEquals(180, sop.sampler().classesPerBatch() * sop.sampler().imagesPerClass());
        assertEquals(20_000, sop.training().iterations());
        RunConfig cub = ConfigLoader.load(Path.of("..", "configs", "cub.yaml"), List.of());
        assertEquals(RankedListLossConfig.cub(), cub.loss().config());
        assertEquals(60, cub.sampler().classesPerBatch() * cub.sampler().imagesPerClass());
        RunConfig inShop = ConfigLoader.load(Path.of("..", "configs", "inshop.yaml"), List.of());
        assertEquals(RankedListLossConfig.inShop(), inShop.loss().config());
        assertEquals(128, inShop.model().embeddingDim());
    }
}
