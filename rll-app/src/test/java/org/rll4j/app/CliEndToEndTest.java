package org.rll4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.ui.model.storage.FileStatsStorage;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rll4j.app.run.Checkpoint;
import org.rll4j.listeners.RetrievalStats;

/**
 * The CLI end to end on tiny real data (40 classes of the embedded emoji set: 20 train, 20 unseen
 * test classes): train -> evaluate -> embed -> search, resume after a stop, and bad input.
 */
@Tag("training")
class CliEndToEndTest {

    @TempDir
    static Path shared;
    static Path data;

    @BeforeAll
    static void tinyEmojiSet() throws Exception {
        data = TinyEmoji.copy(shared.resolve("emoji40"), 40);
    }

    static Cli.Run cli(String... args) {
        return Cli.run(args);
    }

    static String[] train(Path runDir, String... extra) {
        return Cli.train(data, runDir, extra);
    }

    @Test
    void trainEvaluateEmbedSearch(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Cli.Run t = cli(train(run));
        assertEquals(0, t.code(), t.out() + t.err());
        assertTrue(t.out().contains("train 40 images of 20 classes, test 40 images of 20 unseen classes"), t.out());
        for (String f : List.of("config.yaml", "stats.dl4j", "metrics.csv", "metrics.json", "loss.csv", "model.zip", "best.zip",
                "report.html", "loss.png", "metrics.png", "checkpoint/model-00000004.zip", "checkpoint/state.json", "run.lock")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), "missing " + f);
        }
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        assertTrue(metrics.get(0).startsWith("label,iteration,epoch,seconds,Recall@1,Recall@2,Recall@4,Recall@8"), metrics.get(0));
        assertEquals(List.of("raw pixels", "untrained", "trained", "trained"), metrics.subList(1, metrics.size()).stream()
                .map(l -> l.split(",")[0]).toList());
        assertEquals(5, Files.readAllLines(run.resolve("loss.csv")).size(), "header + 4 iterations");
        String report = Files.readString(run.resolve("report.html"));
        assertEquals(4, count(report, "class=\"cell query\""), "4 queries");
        assertEquals(4 * 8, count(report, "class=\"cell hit\"") + count(report, "class=\"cell miss\""), "8 neighbours each");
        assertTrue(report.contains("<table id=\"metrics\">") && report.contains("raw pixels"), "metrics table");
        String config = Files.readString(run.resolve("config.yaml"));
        assertTrue(config.startsWith("# rll4j run configuration snapshot") && config.contains("# seed:      5"), config);
        // the retrieval metrics are in the stats file, for the UI's retrieval page and ./rll ui
        FileStatsStorage storage = new FileStatsStorage(run.resolve("stats.dl4j").toFile());
        try {
            String session = storage.listSessionIDs().get(0);
            assertEquals(List.of(2L, 4L), RetrievalStats.read(storage, session).stream().map(RetrievalStats.Point::iteration)
                    .toList());
        } finally {
            storage.close();
        }

        Cli.Run e = cli("evaluate", "--run", run.toString(), "--json", dir.resolve("eval.json").toString());
        assertEquals(0, e.code(), e.out() + e.err());
        assertTrue(e.out().contains("Recall@1") && Files.readString(dir.resolve("eval.json")).contains("\"Recall@1\""), e.out());

        Path csv = dir.resolve("emb.csv");
        Cli.Run m = cli("embed", "--run", run.toString(), "-o", csv.toString());
        assertEquals(0, m.code(), m.out() + m.err());
        List<String> rows = Files.readAllLines(csv);
        assertEquals(41, rows.size(), "header + 40 test images");
        assertEquals(2 + 3 * 16, rows.get(1).split(",").length, "the default multi-level model: three heads, concatenated");

        Cli.Run ui = cli("ui", "--port", "0", "--serve-seconds", "1", run.toString());
        assertEquals(0, ui.code(), ui.out() + ui.err());
        assertTrue(ui.out().contains("DL4J training UI: http://localhost:") && ui.out().contains("/rll/retrieval"), ui.out());

        Path query = Files.list(Files.list(data).sorted().toList().get(30)).sorted().findFirst().orElseThrow();
        Cli.Run s = cli("search", "--run", run.toString(), "-k", "3", query.toString());
        assertEquals(0, s.code(), s.out() + s.err());
        assertTrue(s.out().contains("query " + query) && s.out().contains(" 3. "), s.out());
        java.util.regex.Matcher first = java.util.regex.Pattern.compile(" 1\\. (\\d+\\.\\d+) +\\S+ +(\\S+)").matcher(s.out());
        assertTrue(first.find(), s.out());
        assertEquals(query.toString(), first.group(2), "the query itself ranks first among the test classes: " + s.out());
        // its distance is recomputed in double from the two embeddings (the query's batch of 1 and the
        // gallery's batch may round differently, about 1e-7), not sqrt(2 - 2 cos) of a float cosine (5e-4)
        assertEquals(0.0, Double.parseDouble(first.group(1)), 1e-4, s.out());
    }

    @Test
    void singleHeadModelTrainsAndEmbedsWithFlipAveraging(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Cli.Run t = cli(train(run, "--set", "model.multiLevel=false", "--set", "training.epochs=1", "--set", "evaluation.every=0",
                "--set", "evaluation.baselines=false"));
        assertEquals(0, t.code(), t.out() + t.err());
        assertTrue(t.out().contains("+ 1 head(s)"), t.out());
        Path plain = dir.resolve("plain.csv");
        Path flipped = dir.resolve("flipped.csv");
        assertEquals(0, cli("embed", "--run", run.toString(), "-o", plain.toString()).code());
        Cli.Run f = cli("embed", "--run", run.toString(), "--set", "evaluation.flipAverage=true", "-o", flipped.toString());
        assertEquals(0, f.code(), f.out() + f.err());
        List<String> a = Files.readAllLines(plain);
        List<String> b = Files.readAllLines(flipped);
        assertEquals(2 + 16, a.get(1).split(",").length);
        assertEquals(a.size(), b.size());
        assertTrue(!a.get(1).equals(b.get(1)), "flip averaging changes the vectors");
        Cli.Run e = cli("evaluate", "--run", run.toString(), "--set", "evaluation.flipAverage=true");
        assertEquals(0, e.code(), e.out() + e.err());
        assertTrue(e.out().contains("Recall@1"), e.out());
    }

    @Test
    void theSameDiffImplementationTrainsLikeTheKernelAndIsRecorded(@TempDir Path dir) throws Exception {
        String[] settings = {"--set", "training.epochs=1", "--set", "evaluation.every=0", "--set", "evaluation.baselines=false"};
        Path kernelRun = dir.resolve("kernel");
        Path graphRun = dir.resolve("samediff");
        Cli.Run k = cli(train(kernelRun, settings));
        assertEquals(0, k.code(), k.out() + k.err());
        String[] withGraph = java.util.Arrays.copyOf(settings, settings.length + 2);
        withGraph[settings.length] = "--set";
        withGraph[settings.length + 1] = "loss.implementation=samediff";
        Cli.Run g = cli(train(graphRun, withGraph));
        assertEquals(0, g.code(), g.out() + g.err());
        assertTrue(Files.readString(graphRun.resolve("config.yaml")).contains("implementation: samediff"));
        assertTrue(Files.readString(kernelRun.resolve("config.yaml")).contains("implementation: kernel"));
        List<String> kernelLoss = Files.readAllLines(kernelRun.resolve("loss.csv"));
        List<String> graphLoss = Files.readAllLines(graphRun.resolve("loss.csv"));
        assertEquals(kernelLoss.size(), graphLoss.size());
        for (int i = 1; i < kernelLoss.size(); i++) {
            double a = Double.parseDouble(kernelLoss.get(i).split(",")[2]);
            double b = Double.parseDouble(graphLoss.get(i).split(",")[2]);
            assertEquals(a, b, 1e-3 * a, "the same seed trains the same model with either layer: loss.csv row " + i);
        }
        org.deeplearning4j.nn.graph.ComputationGraph restored = org.deeplearning4j.util.ModelSerializer
                .restoreComputationGraph(graphRun.resolve("model.zip").toFile(), false);
        assertEquals(3, restored.getConfiguration().getNetworkOutputs().stream().filter(o -> restored.getLayer(o).conf().getLayer()
                instanceof org.rll4j.loss.SameDiffRankedListLossLayer).count());
        Cli.Run e = cli("evaluate", "--run", graphRun.toString());
        assertEquals(0, e.code(), e.out() + e.err());
        assertTrue(e.out().contains("Recall@1"), e.out());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"triplet", "multi-similarity"})
    void aBaselineLossTrainsEvaluatesAndIsRecorded(String type, @TempDir Path dir) throws Exception {
        Path run = dir.resolve(type);
        Cli.Run t = cli(train(run, "--set", "loss.type=" + type, "--set", "training.epochs=1", "--set", "evaluation.every=0",
                "--set", "evaluation.baselines=false"));
        assertEquals(0, t.code(), t.out() + t.err());
        String config = Files.readString(run.resolve("config.yaml"));
        assertTrue(config.contains("type: " + type) && !config.contains("preset:"), config);
        List<String> loss = Files.readAllLines(run.resolve("loss.csv"));
        assertTrue(loss.size() > 1 && Double.parseDouble(loss.get(1).split(",")[2]) > 0, "a positive training loss: " + loss);
        org.deeplearning4j.nn.graph.ComputationGraph restored = org.deeplearning4j.util.ModelSerializer
                .restoreComputationGraph(run.resolve("model.zip").toFile(), false);
        assertTrue(restored.getConfiguration().getNetworkOutputs().stream().allMatch(o -> restored.getLayer(o).conf().getLayer()
                instanceof org.rll4j.loss.MetricLossLayer), "every head ends in the baseline's layer");
        Cli.Run e = cli("evaluate", "--run", run.toString());
        assertEquals(0, e.code(), e.out() + e.err());
        assertTrue(e.out().contains("Recall@1"), e.out());
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "cross-batch memory {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void resumingAStoppedRunGivesTheResultOfAnUninterruptedOne(boolean memory, @TempDir Path dir) throws Exception {
        // with the memory: it fills from iteration 1, so the resumed run needs the checkpoint's memory and pending batch
        String[] withMemory = memory ? new String[] {"--set", "loss.memory.size=30", "--set", "loss.memory.warmupIterations=1"}
                : new String[0];
        Path whole = dir.resolve("whole");
        assertEquals(0, cli(train(whole, withMemory)).code());
        Path stopped = dir.resolve("stopped");
        List<String> stop = new java.util.ArrayList<>(List.of(withMemory));
        stop.addAll(List.of("--stop-after", "2"));
        Cli.Run first = cli(train(stopped, stop.toArray(String[]::new)));
        assertEquals(0, first.code(), first.out() + first.err());
        assertTrue(first.out().contains("stopped after iteration 2"), first.out());
        assertEquals(2, Checkpoint.read(stopped).iteration());
        assertTrue(!Files.exists(stopped.resolve("model.zip")), "not finished yet");
        Cli.Run resumed = cli("train", "--resume", stopped.toString(), "--no-ui");
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains("resuming " + stopped + " at iteration 2 (epoch 1, batch 0)"), resumed.out());
        ComputationGraph a = ModelSerializer.restoreComputationGraph(whole.resolve("model.zip").toFile(), false);
        ComputationGraph b = ModelSerializer.restoreComputationGraph(stopped.resolve("model.zip").toFile(), false);
        assertEquals(0.0, a.params().sub(b.params()).norm2Number().doubleValue(), 1e-5 * a.params().norm2Number().doubleValue(),
                "same final weights");
        assertEquals(withoutSeconds(whole.resolve("metrics.csv")), withoutSeconds(stopped.resolve("metrics.csv")));
    }

    private static List<String> withoutSeconds(Path csv) throws Exception {
        return Files.readAllLines(csv).stream().map(l -> l.replaceFirst("^([^,]*,[^,]*,[^,]*),[^,]*", "$1")).toList();
    }

    @Test
    void badInputGivesExitCodesAndMessages(@TempDir Path dir) {
        Cli.Run typo = cli("train", "--no-ui", "--set", "model.embedingDim=8");
        assertEquals(Main.USAGE, typo.code());
        assertTrue(typo.err().contains("config error: unknown key 'model.embedingDim' in 'model' (did you mean 'embeddingDim'?)"),
                typo.err());
        Cli.Run missing = cli("train", "--no-ui", "--run-dir", dir.resolve("r").toString(), "--set", "dataset.root=" + dir.resolve("nope"));
        assertEquals(Main.IO, missing.code());
        assertTrue(missing.err().contains("file not found: " + dir.resolve("nope") + " (dataset.root does not exist"), missing.err());
        Cli.Run option = cli("train", "--bogus");
        assertEquals(Main.USAGE, option.code());
        assertTrue(option.err().contains("Unknown option: '--bogus'") && option.err().contains("see: ./rll train --help"),
                option.err());
        Cli.Run noRun = cli("evaluate", "--run", dir.resolve("none").toString());
        assertEquals(Main.IO, noRun.code());
        assertTrue(noRun.err().contains("config.yaml"), noRun.err());
        Cli.Run resume = cli("train", "--resume", dir.toString(), "--no-ui");
        assertEquals(Main.IO, resume.code(), resume.err());
        Cli.Run help = cli("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("train") && help.out().contains("evaluate") && help.out().contains("search"), help.out());
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
