package org.rll4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rll4j.app.run.Checkpoint;
import org.rll4j.app.run.RunDirectory;
import org.rll4j.listeners.AtomicFiles;

/**
 * The CLI against the faults users meet, each checked for its exit code, its message, that nothing
 * was lost and that nothing was left behind: corrupt, truncated, non-image and symlinked files in the
 * training and test classes; run directories that are reused, shared by two processes, or hold
 * something else; a process killed with {@code kill -9} while it writes checkpoints; leftovers of
 * interrupted writes; a tampered checkpoint and a corrupt stats file; overrides on resume; relative
 * paths; failed starts; busy ports; Ctrl-C on {@code ui}; interrupted {@code prepare}.
 */
@Tag("training")
class FaultInjectionTest {

    @TempDir
    static Path shared;
    static Path clean;

    @BeforeAll
    static void tinyEmojiSet() throws Exception {
        clean = TinyEmoji.copy(shared.resolve("emoji40"), 40);
    }

    private static List<Path> sortedFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    /** Everything under {@code dir} whose name marks a leftover of an interrupted write. */
    private static List<Path> leftovers(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp") || p.getFileName().toString().contains(".prepare-"))
                    .toList();
        }
    }

    private static List<String> checkpointModels(Path run) throws IOException {
        try (Stream<Path> s = Files.list(Checkpoint.folder(run))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".zip")).sorted().toList();
        }
    }

    /** The run's final weights. */
    private static org.nd4j.linalg.api.ndarray.INDArray finalParams(Path run) throws IOException {
        return ModelSerializer.restoreComputationGraph(run.resolve("model.zip").toFile(), false).params();
    }

    private static void assertSameWeights(Path a, Path b) throws IOException {
        org.nd4j.linalg.api.ndarray.INDArray pa = finalParams(a);
        org.nd4j.linalg.api.ndarray.INDArray pb = finalParams(b);
        assertEquals(0.0, pa.sub(pb).norm2Number().doubleValue(), 1e-5 * pa.norm2Number().doubleValue(), "same final weights");
    }

    /** A PNG cut after its first 40 bytes: a valid signature, then nothing decodable. */
    private static void truncate(Path png) throws IOException {
        byte[] all = Files.readAllBytes(png);
        Files.write(png, java.util.Arrays.copyOf(all, 40));
    }

    @Test
    void corruptTruncatedNonImageAndSymlinkedFilesAreSkippedNamedAndCounted(@TempDir Path dir) throws Exception {
        Path data = TinyEmoji.copy(dir.resolve("data"), 40);
        List<Path> classes = sortedFiles(data);
        Path trainTruncated = sortedFiles(classes.get(0)).get(0);
        truncate(trainTruncated);
        Files.writeString(classes.get(1).resolve("notes.png"), "not an image");
        Files.createFile(classes.get(1).resolve("empty.png"));
        Files.createSymbolicLink(classes.get(2).resolve("gone.png"), classes.get(2).resolve("missing.png"));
        Files.createSymbolicLink(classes.get(3).resolve("a.png"), classes.get(3).resolve("b.png"));
        Files.createSymbolicLink(classes.get(3).resolve("b.png"), classes.get(3).resolve("a.png"));
        Path testTruncated = sortedFiles(classes.get(25)).get(0);
        truncate(testTruncated);
        Files.createSymbolicLink(classes.get(26).resolve("zz-link.png"), sortedFiles(classes.get(26)).get(0)); // followed

        Path run = dir.resolve("run");
        Cli.Run t = Cli.run(Cli.train(data, run));
        assertEquals(0, t.code(), t.all());
        assertTrue(t.out().contains("warning: 1 test images cannot be decoded and are left out of every evaluation: "
                + testTruncated), t.out());
        assertTrue(Files.isRegularFile(run.resolve("model.zip")) && Files.isRegularFile(run.resolve("best.zip")), "nothing lost");
        String report = Files.readString(run.resolve("report.html"));
        assertTrue(report.contains("1 test images could not be decoded and were left out of the evaluation: " + testTruncated),
                "the report counts and names it");

        Cli.Run e = Cli.run("evaluate", "--run", run.toString());
        assertEquals(0, e.code(), e.all());
        assertTrue(e.out().contains("1 test images could not be decoded and were left out: " + testTruncated), e.out());

        Path csv = dir.resolve("emb.csv");
        Cli.Run m = Cli.run("embed", "--run", run.toString(), "--images", data.toString(), "-o", csv.toString());
        assertEquals(0, m.code(), m.all());
        // 80 images + 1 followed link, of which the 2 truncated ones are left out
        assertEquals(1 + 79, Files.readAllLines(csv).size());
        assertTrue(m.err().contains("warning: 2 of the 81 images could not be decoded and are left out: ")
                && m.err().contains(trainTruncated.toString()) && m.err().contains(testTruncated.toString()), m.err());
        assertTrue(m.out().contains("(2 undecodable images left out)"), m.out());

        Path text = dir.resolve("query.png");
        Files.writeString(text, "this is a text file named .png");
        Cli.Run s = Cli.run("search", "--run", run.toString(), text.toString());
        assertEquals(Main.IO, s.code(), s.all());
        assertTrue(s.err().contains("error: none of the 1 query images could be decoded as a JPEG or PNG image: " + text), s.err());
        assertFalse(s.err().contains("internal error"), s.err());

        Path good = sortedFiles(classes.get(30)).get(0);
        Cli.Run k = Cli.run("search", "--run", run.toString(), "--gallery", data.toString(), "-k", "500", good.toString());
        assertEquals(0, k.code(), k.all());
        assertTrue(k.err().contains("note: -k 500 is more than the gallery's 79 images; listing all 79"), k.err());

        Cli.Run notAModel = Cli.run("evaluate", "--run", run.toString(), "--model", good.toString());
        assertEquals(Main.IO, notAModel.code(), notAModel.all());
        assertTrue(notAModel.err().startsWith("error: cannot read " + good + " as a DL4J ComputationGraph model zip"),
                notAModel.err());
        assertEquals(List.of(), leftovers(run));
    }

    @Test
    void runDirectoriesAreNeverOverwrittenSharedOrMisread(@TempDir Path dir) throws Exception {
        // relative dataset.root: the run records it absolute, so the run works from any folder
        Path relative = Path.of("").toAbsolutePath().relativize(clean);
        Path run = dir.resolve("run");
        Cli.Run t = Cli.run(Cli.train(relative, run));
        assertEquals(0, t.code(), t.all());
        String config = Files.readString(run.resolve("config.yaml"));
        assertTrue(config.contains("root: " + clean.toAbsolutePath().normalize()), config);
        assertTrue(config.contains("enabled: false"), "--no-ui is recorded: " + config);
        String modelHash = sha(run.resolve("model.zip"));

        Cli.Run again = Cli.run(Cli.train(clean, run));
        assertEquals(Main.IO, again.code(), again.all());
        assertTrue(again.err().contains(run + ": the folder holds a run (finished, model.zip written); resume it with train "
                + "--resume " + run + ", choose another --run-dir, or add --overwrite to replace it"), again.err());
        assertEquals(modelHash, sha(run.resolve("model.zip")), "the finished run is untouched");
        assertEquals(config, Files.readString(run.resolve("config.yaml")));

        // a second process on the run: the lock (taken here as another training would) keeps it out
        try (RunDirectory owner = RunDirectory.open(run)) {
            Cli.Run busy = Cli.run(Cli.train(clean, run, "--overwrite"));
            assertEquals(Main.IO, busy.code(), busy.all());
            assertTrue(busy.err().contains("the run directory " + run + " is in use by another training process (pid "), busy.err());
            Cli.Run busyResume = Cli.run("train", "--resume", run.toString(), "--set", "training.epochs=3");
            assertEquals(Main.IO, busyResume.code(), busyResume.all());
            assertTrue(busyResume.err().contains("is in use by another training process"), busyResume.err());
        }
        assertEquals(config, Files.readString(run.resolve("config.yaml")), "nobody rewrote the config of a run in use");

        Cli.Run replaced = Cli.run(Cli.train(clean, run, "--overwrite", "--stop-after", "2"));
        assertEquals(0, replaced.code(), replaced.all());
        assertFalse(Files.exists(run.resolve("model.zip")), "--overwrite replaced the old run, whose model is gone");
        assertEquals(2, Checkpoint.read(run).iteration());

        Path other = Files.createDirectories(dir.resolve("photos"));
        Files.writeString(other.resolve("holiday.txt"), "mine");
        Cli.Run notRun = Cli.run(Cli.train(clean, other, "--overwrite"));
        assertEquals(Main.IO, notRun.code(), notRun.all());
        assertTrue(notRun.err().contains(other + ": the run directory is not empty and holds no run (holiday.txt)"), notRun.err());
        assertEquals(List.of(other.resolve("holiday.txt")), sortedFiles(other).stream()
                .filter(p -> !p.getFileName().toString().equals(RunDirectory.LOCK_FILE)).toList());

        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Cli.Run isFile = Cli.run(Cli.train(clean, file));
        assertEquals(Main.IO, isFile.code(), isFile.all());
        assertTrue(isFile.err().contains(file + ": the run directory is a file, not a folder"), isFile.err());
    }

    private static String sha(Path file) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void resumeAppliesAllowedOverridesRecordsThemAndRefusesTheRest(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, Cli.run(Cli.train(clean, run, "--stop-after", "2")).code());
        String before = Files.readString(run.resolve("config.yaml"));

        Cli.Run refused = Cli.run("train", "--resume", run.toString(), "--set", "model.embeddingDim=8", "--set", "seed=6");
        assertEquals(Main.USAGE, refused.code(), refused.all());
        assertTrue(refused.err().contains("a resumed run cannot change seed 5 -> 6, model.embeddingDim 16 -> 8"), refused.err());
        assertEquals(before, Files.readString(run.resolve("config.yaml")), "a refused resume changes nothing");

        Cli.Run resumed = Cli.run("train", "--resume", run.toString(), "--set", "optimizer.learningRate=0.0005");
        assertEquals(0, resumed.code(), resumed.all());
        assertTrue(resumed.out().contains("with optimizer.learningRate 0.002 -> 5.0E-4"), resumed.out());
        assertFalse(resumed.out().contains("DL4J training UI:"), "--no-ui was remembered: " + resumed.out());
        String after = Files.readString(run.resolve("config.yaml"));
        assertTrue(after.contains("# resumed:   at iteration 2, ") && after.contains("changed optimizer.learningRate 0.002 -> 5.0E-4")
                && (after.contains("learningRate: 0.0005") || after.contains("learningRate: 5.0E-4")), after);
        assertEquals(5e-4, org.rll4j.app.config.ConfigLoader.load(run.resolve("config.yaml"), List.of()).optimizer().learningRate());
        ComputationGraph net = ModelSerializer.restoreComputationGraph(run.resolve("model.zip").toFile(), false);
        for (org.deeplearning4j.nn.api.Layer layer : net.getLayers()) {
            if (layer.conf().getLayer() instanceof BaseLayer base && base.getIUpdater() != null) {
                assertEquals(5e-4, base.getIUpdater().getLearningRate(4, 0), 1e-12, "the resumed iterations used the new rate");
            }
        }

        Cli.Run finished = Cli.run("train", "--resume", run.toString());
        assertEquals(Main.USAGE, finished.code(), finished.all());
        assertTrue(finished.err().contains("is finished (4 of 4 iterations); to train it longer"), finished.err());
        Cli.Run longer = Cli.run("train", "--resume", run.toString(), "--set", "training.epochs=3");
        assertEquals(0, longer.code(), longer.all());
        assertTrue(longer.out().contains("resuming " + run + " at iteration 4"), longer.out());
        assertEquals(6, Checkpoint.read(run).iteration());
    }

    @Test
    void aRunKilledWhileWritingCheckpointsResumesToTheUninterruptedResult(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole");
        assertEquals(0, Cli.run(Cli.train(clean, whole, "--set", "training.epochs=4", "--set", "training.checkpointEvery=1"))
                .code());

        Path run = dir.resolve("killed");
        List<String> args = new ArrayList<>(List.of(Cli.train(clean, run, "--set", "training.epochs=4", "--set",
                "training.checkpointEvery=1")));
        Path log = dir.resolve("killed.log");
        Process p = spawn(log, dir, args);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            while (!checkpointed(run) && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(p.isAlive(), "the run was to be killed while training: " + Files.readString(log));
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        assertFalse(Files.exists(run.resolve("model.zip")), "killed before the end");
        // as if the kill had also hit a write in progress
        Files.writeString(Checkpoint.folder(run).resolve(".model-00000099.zip.4242.tmp"), "partial");
        Files.writeString(run.resolve(".metrics.csv.4242.tmp"), "partial");

        Cli.Run resumed = Cli.run("train", "--resume", run.toString(), "--no-ui");
        assertEquals(0, resumed.code(), resumed.all() + "\nkilled process:\n" + Files.readString(log));
        assertTrue(resumed.out().contains("removed " + Checkpoint.folder(run).resolve(".model-00000099.zip.4242.tmp")),
                resumed.out());
        assertSameWeights(whole, run);
        assertEquals(List.of(), leftovers(run), "no temporary file is left");
        assertEquals(List.of("model-00000008.zip"), checkpointModels(run), "one checkpoint model, the one state.json names");
    }

    private static boolean checkpointed(Path run) {
        try {
            return Checkpoint.exists(run) && Checkpoint.read(run).iteration() >= 1;
        } catch (IOException e) {
            return false; // being replaced right now
        }
    }

    /** The CLI in a JVM of its own (what a user's {@code ./rll} is), output to {@code log}. */
    private static Process spawn(Path log, Path tmp, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=4G", "-Djava.io.tmpdir=" + tmp, "-cp",
                System.getProperty("java.class.path"), "org.rll4j.app.Main"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "2");
        return pb.start();
    }

    @Test
    void aTamperedCheckpointIsRefusedAndACorruptStatsFileDoesNotBlockResume(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, Cli.run(Cli.train(clean, run, "--stop-after", "2")).code());
        Path model = Checkpoint.folder(run).resolve("model-00000002.zip");
        byte[] original = Files.readAllBytes(model);
        Files.write(model, java.util.Arrays.copyOf(original, original.length + 1));
        Cli.Run tampered = Cli.run("train", "--resume", run.toString());
        assertEquals(Main.IO, tampered.code(), tampered.all());
        assertTrue(tampered.err().contains("the checkpoint is inconsistent: " + model + " is not the model that "), tampered.err());
        Files.write(model, original);

        Files.writeString(run.resolve("stats.dl4j"), "garbage, as a disk error or a second writer would leave it");
        Cli.Run resumed = Cli.run("train", "--resume", run.toString());
        assertEquals(0, resumed.code(), resumed.all());
        assertTrue(resumed.out().contains("warning: the DL4J stats file " + run.resolve("stats.dl4j") + " cannot be read"),
                resumed.out());
        try (Stream<Path> s = Files.list(run)) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().startsWith("stats.dl4j.unreadable-")).count(),
                    "the unreadable file is kept aside, not deleted");
        }
        assertTrue(Files.isRegularFile(run.resolve("model.zip")));
    }

    @Test
    void failedStartsLeaveNoRunDirectory(@TempDir Path dir) throws Exception {
        Path tooMany = dir.resolve("too-many");
        Cli.Run c = Cli.run(Cli.train(clean, tooMany, "--set", "sampler.classesPerBatch=30"));
        assertEquals(Main.USAGE, c.code(), c.all());
        assertTrue(c.err().contains("config error: sampler: classesPerBatch (C) must be <= the number of classes with at least 2 "
                + "examples (20 of 20 classes), found 30"), c.err());
        assertFalse(Files.exists(tooMany), "validated before the run directory is created");

        Path missing = dir.resolve("missing");
        Cli.Run m = Cli.run(Cli.train(dir.resolve("no-data"), missing));
        assertEquals(Main.IO, m.code(), m.all());
        assertFalse(Files.exists(missing));

        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path busy = dir.resolve("busy");
            List<String> args = new ArrayList<>(List.of("train", "--run-dir", busy.toString(), "--ui-port",
                    String.valueOf(taken.getLocalPort())));
            args.addAll(Cli.settings(clean));
            Cli.Run b = Cli.run(args.toArray(String[]::new));
            assertEquals(Main.IO, b.code(), b.all());
            assertTrue(b.err().contains("UI port " + taken.getLocalPort() + " is busy") && b.err().contains("--ui-port 0"),
                    b.err());
            assertFalse(Files.exists(busy), "a start that failed before its first checkpoint leaves nothing");
        }
    }

    @Test
    void uiNamesItsOwnPortOptionAndCtrlCLeavesNoTemporaryCopy(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, Cli.run(Cli.train(clean, run, "--stop-after", "2")).code());
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Cli.Run b = Cli.run("ui", "--port", String.valueOf(taken.getLocalPort()), run.toString());
            assertEquals(Main.IO, b.code(), b.all());
            assertTrue(b.err().contains("choose another port with --port N, or --port 0 for a free one"), b.err());
        }

        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path log = dir.resolve("ui.log");
        Process p = spawn(log, tmp, List.of("ui", "--port", "0", run.toString()));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.readString(log).contains("serving until Ctrl-C") && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(p.isAlive(), Files.readString(log));
            try (Stream<Path> s = Files.list(tmp)) {
                assertTrue(s.anyMatch(f -> f.getFileName().toString().startsWith("rll-ui-view-")), "serving a copy");
            }
            p.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the shutdown hooks run
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.filter(f -> f.getFileName().toString().startsWith("rll-ui-view-")).toList(),
                    "the temporary copy is deleted: " + Files.readString(log));
        }
    }

    @Test
    void interruptedPrepareAndWritesIntoFilesLeaveNothingAndNameTheUsersPath(@TempDir Path dir) throws Exception {
        // what a prepare killed with -9 leaves: a hidden partial folder whose owner (and its lock) is gone
        Path out = dir.resolve("prepared");
        Path partial = Files.createDirectories(dir.resolve(".prepared.prepare-12345"));
        Files.writeString(partial.resolve(".lock"), "");
        Files.createDirectories(partial.resolve("train/x"));
        Cli.Run r = Cli.run("prepare", "--set", "dataset.root=" + clean, "-o", out.toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("removed " + partial + ", the partial output of an interrupted prepare"), r.out());
        assertEquals(List.of(out), sortedFiles(dir));

        Path blocker = Files.writeString(dir.resolve("blocker"), "a file where a folder should be");
        Path target = blocker.resolve("report.json");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> AtomicFiles.writeString(target, "{}"));
        assertTrue(e.getMessage().startsWith("cannot write " + target + ": "), e.getMessage());
        assertFalse(e.getMessage().contains(".tmp"), "the message names the user's path, not a hidden temporary file");
    }
}
