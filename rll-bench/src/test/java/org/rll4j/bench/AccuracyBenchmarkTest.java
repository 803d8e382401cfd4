package org.rll4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.rll4j.app.config.ConfigLoader;

/**
 * The accuracy benchmark end to end on a tiny budget: the learning-rate search, the runs, the RLL ablation, the tables,
 * and resuming.
 */
@Tag("training")
class AccuracyBenchmarkTest {

    /** A tiny ablation: the margin (one key) and K (two keys), one varied value each; the defaults are the tiny protocol's. */
    private static final List<AccuracyBenchmark.Ablation> TINY_ABLATION = List.of(
            AccuracyBenchmark.Ablation.of("m", "m", "loss.margin", "0.4", null, "0.2", "0.4"),
            new AccuracyBenchmark.Ablation("K", "k", List.of(AccuracyBenchmark.Ablation.imagesPerClass(8, 2),
                    AccuracyBenchmark.Ablation.imagesPerClass(5, 3)), "2", "a note on K"));

    /** The tiny protocol's settings: the emoji split, a small network, batches of 8 x 2, no evaluation during training. */
    private static final List<String> TINY = List.of("dataset.root=../datasets/emoji32/images", "sampler.classesPerBatch=8",
            "model.widths=[8, 16, 32]", "model.embeddingDim=8", "evaluation.every=0", "training.checkpointEvery=0", "ui.enabled=false",
            "sampler.workers=1");

    @Test
    void meanAndSampleStandardDeviation() {
        assertEquals("0.5000", AccuracyBenchmark.meanSd(new double[] {0.5}));
        assertEquals("2.0000 ± 1.0000", AccuracyBenchmark.meanSd(new double[] {1, 2, 3}));
    }

    /**
     * The full benchmark, then the same again (resumed: nothing trains), then {@code --quick} on the same runs (the
     * protocol's full and quick budgets are equal here, so its runs are the same; the quick one has no ablation).
     */
    @Test
    void aTinyBenchmarkRunsEveryStepAndTheAblationAndAnInterruptedOneResumes(@TempDir Path dir) throws Exception {
        List<AccuracyBenchmark.Protocol> protocols = List.of(new AccuracyBenchmark.Protocol("tiny emoji", null, TINY, 2, 2));
        // contrastive first: its runs evaluate raw pixels and the untrained network, so rll's (and the ablation's) skip that
        List<AccuracyBenchmark.Loss> losses = List.of(AccuracyBenchmark.LOSSES.get(1), AccuracyBenchmark.LOSSES.get(0));
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        new AccuracyBenchmark(dir, false, 1, protocols, losses, TINY_ABLATION, new PrintStream(first, true, StandardCharsets.UTF_8)).run();
        String log = first.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("tiny emoji         rll                  learning rate"), log);
        String md = Files.readString(dir.resolve("accuracy.md"));
        assertTrue(md.contains("### tiny emoji (2 iterations, 1 seed)"), md);
        assertTrue(md.contains("| raw pixels | ") && md.contains("| untrained | ") && md.contains("| rll | ")
                && md.contains("| contrastive | "), md);
        String json = Files.readString(dir.resolve("accuracy.json"));
        assertTrue(json.contains("\"learningRates\"") && json.contains("\"Recall@1\""), json);
        assertTrue(md.contains("![Recall@1 per loss, tiny emoji](accuracy-tiny-emoji-r1.png)"), md);
        assertTrue(javax.imageio.ImageIO.read(dir.resolve("accuracy-tiny-emoji-r1.png").toFile()).getHeight() == 40 + 40 + 4 * 30,
                "a bar per model: raw pixels, untrained, contrastive, rll");

        // the ablation: a table per parameter, the default marked and not trained again
        JsonNode tree = new ObjectMapper().readTree(json);
        double rate = tree.get("protocols").get(0).get("learningRates").get("rll").asDouble();
        assertTrue(md.contains("### RLL ablation (tiny emoji, seed 42, 2 iterations, learning rate " + rate + ")"), md);
        assertTrue(md.contains("| m | Recall@1 | MAP@R | NMI | seconds |\n") && md.contains("\n| 0.2 | ")
                && md.contains("\n| 0.4 (default) | ") && md.contains("| K | Recall@1 | MAP@R | NMI | seconds |\n")
                && md.contains("\n| 8 x 2 (default) | ") && md.contains("\n| 5 x 3 | ") && md.contains("\na note on K\n"), md);
        assertTrue(md.contains("same run as the main table"), md);
        assertTrue(log.contains("tiny-emoji/rll-ablation/m-0.4-it2") && log.contains("same run as the main table"), log);
        JsonNode ablation = tree.get("ablation");
        assertEquals(rate, ablation.get("learningRate").asDouble());
        JsonNode margin = ablation.get("parameters").get(0).get("runs");
        assertFalse(margin.get(0).get("sameRunAsMainTable").asBoolean());
        assertTrue(margin.get(1).get("sameRunAsMainTable").asBoolean());
        JsonNode mainRll = tree.get("protocols").get(0).get("runs").get(1);
        assertEquals("rll", mainRll.get("loss").asText());
        assertEquals(mainRll.get("rows"), margin.get(1).get("rows"), "the default point is the main table's rll seed-42 run");
        assertEquals(mainRll.get("seconds"), margin.get(1).get("seconds"));
        assertTrue(margin.get(0).get("seconds").asDouble() > 0 && margin.get(0).get("rows").has("trained"), json);

        // each ablation run is the main rll seed-42 run but for its own settings (the config.yaml its Trainer wrote)
        assertTrue(Files.readString(dir.resolve("runs/tiny-emoji/rll-ablation/m-0.2-it2/config.yaml"))
                .startsWith("# rll bench accuracy: tiny-emoji/rll-ablation/m-0.2-it2\nseed: 42\n"), "the provenance is a line of its own");
        Map<String, Object> main = config(dir, "rll/seed-42-it2");
        Map<String, Object> expected = copy(main);
        section(expected, "loss").put("margin", 0.2);
        assertEquals(expected, config(dir, "rll-ablation/m-0.2-it2"));
        expected = copy(main);
        section(expected, "sampler").put("classesPerBatch", 5);
        section(expected, "sampler").put("imagesPerClass", 3);
        assertEquals(expected, config(dir, "rll-ablation/k-3-it2"));
        assertEquals(1.2, section(main, "loss").get("alpha"));
        assertEquals(0.4, section(main, "loss").get("margin"));
        assertEquals(10.0, section(main, "loss").get("tn"));
        assertFalse(Files.exists(dir.resolve("runs/tiny-emoji/rll-ablation/m-0.4-it2")));
        assertFalse(Files.exists(dir.resolve("runs/tiny-emoji/rll-ablation/k-2-it2")));
        // 2 losses x (3 validation runs + 1 seed) + 2 ablation values (the defaults are not trained)
        assertEquals(10, Files.list(dir.resolve("logs")).count());

        ByteArrayOutputStream second = new ByteArrayOutputStream();
        new AccuracyBenchmark(dir, false, 1, protocols, losses, TINY_ABLATION, new PrintStream(second, true, StandardCharsets.UTF_8)).run();
        String again = second.toString(StandardCharsets.UTF_8);
        assertEquals(10, again.split("done before", -1).length - 1, "nothing is trained twice: " + again);
        assertEquals(2, again.split("same run as the main table \\(R@1", -1).length - 1, again);
        String md2 = Files.readString(dir.resolve("accuracy.md"));
        assertTrue(md.startsWith("10 training runs, ") && md2.startsWith("10 training runs, "), md2);
        assertEquals(md.substring(0, md.indexOf(';')), md2.substring(0, md2.indexOf(';')),
                "the time in all is that of the runs, whichever invocation trained them");
        assertEquals(md.substring(md.indexOf('\n')), md2.substring(md2.indexOf('\n')), "the same tables from the same runs");
        assertEquals(10, Files.list(dir.resolve("logs")).count());

        ByteArrayOutputStream quick = new ByteArrayOutputStream();
        new AccuracyBenchmark(dir, true, 1, protocols, losses, TINY_ABLATION, new PrintStream(quick, true, StandardCharsets.UTF_8)).run();
        String quickLog = quick.toString(StandardCharsets.UTF_8);
        assertEquals(8, quickLog.split("done before", -1).length - 1, "--quick: the same protocol runs, no ablation: " + quickLog);
        assertFalse(quickLog.contains("rll-ablation"), quickLog);
        assertFalse(Files.readString(dir.resolve("accuracy.md")).contains("RLL ablation"));
        assertFalse(Files.readString(dir.resolve("accuracy.json")).contains("\"ablation\""));
    }

    @Test
    void everyLossLoadsOnEveryShippedProtocolAndABadKeyFailsBeforeAnythingTrains(@TempDir Path dir) throws Exception {
        List<AccuracyBenchmark.Protocol> protocols = AccuracyBenchmark.standardProtocols(false).stream()
                .map(p -> new AccuracyBenchmark.Protocol(p.name(), p.config() == null ? null : Path.of("..").resolve(p.config()),
                        p.settings(), p.iterations(), p.quickIterations(), p.validationSettings())).toList();
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        new AccuracyBenchmark(dir, false, 3, protocols, AccuracyBenchmark.LOSSES, AccuracyBenchmark.ABLATIONS, quiet).checkConfigs();
        List<AccuracyBenchmark.Loss> bad = List.of(new AccuracyBenchmark.Loss("contrastive-with-tn", List.of("loss.type=contrastive",
                "loss.tn=5")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AccuracyBenchmark(dir, false, 3, protocols, bad, List.of(), quiet).run());
        assertTrue(e.getMessage().startsWith("protocol 'emoji multi-level' with loss 'contrastive-with-tn' "), e.getMessage());
        assertTrue(e.getMessage().contains("unknown key 'loss.tn'"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("logs")), "nothing started");
    }

    @Test
    void theShippedAblationIsValidOnTheEmojiProtocolAndItsDefaultsAreThatProtocolsSettings(@TempDir Path dir) throws Exception {
        List<AccuracyBenchmark.Protocol> protocols = AccuracyBenchmark.standardProtocols(false);
        new AccuracyBenchmark(dir, false, 3, protocols, AccuracyBenchmark.LOSSES, AccuracyBenchmark.ABLATIONS,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .checkAblations(protocols.get(0), AccuracyBenchmark.LOSSES.get(0));
        assertEquals(List.of(3, 4, 5, 3), AccuracyBenchmark.ABLATIONS.stream().map(a -> a.values().size()).toList());
    }

    @Test
    void anAblationWhoseDefaultIsNotTheProtocolsSettingFailsBeforeAnythingTrains(@TempDir Path dir) {
        List<AccuracyBenchmark.Protocol> protocols = List.of(new AccuracyBenchmark.Protocol("tiny emoji", null, TINY, 2, 2));
        List<AccuracyBenchmark.Ablation> wrong = List.of(AccuracyBenchmark.Ablation.of("m", "m", "loss.margin", "0.2", null, "0.2", "0.4"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AccuracyBenchmark(dir, false, 1, protocols,
                AccuracyBenchmark.LOSSES.subList(0, 1), wrong, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .run());
        assertTrue(e.getMessage().contains("default m = 0.2"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("logs")));
    }

    /** The canonical config of a run of the tiny protocol, from the config.yaml its Trainer wrote. */
    private static Map<String, Object> config(Path dir, String run) throws Exception {
        return ConfigLoader.fromYaml(Files.readString(dir.resolve("runs/tiny-emoji").resolve(run).resolve("config.yaml"))).toMap();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Map<String, Object> config, String name) {
        return (Map<String, Object>) config.get(name);
    }

    /** A copy of a config map, its sections copied too. */
    private static Map<String, Object> copy(Map<String, Object> config) {
        Map<String, Object> c = new LinkedHashMap<>();
        config.forEach((k, v) -> c.put(k, v instanceof Map<?, ?> ? new LinkedHashMap<>((Map<?, ?>) v) : v));
        return c;
    }
}
