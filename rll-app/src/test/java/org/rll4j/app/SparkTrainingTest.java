package org.rll4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.ui.model.stats.BaseStatsListener;
import org.deeplearning4j.ui.model.storage.FileStatsStorage;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rll4j.app.config.ConfigLoader;
import org.rll4j.app.config.RunConfig;
import org.rll4j.app.run.MetricsLog;
import org.rll4j.app.run.Trainer;
import org.rll4j.listeners.RetrievalStats;

/**
 * A run on Spark {@code local[2]} (160 emoji classes, a small CNN): stopped after a checkpoint and resumed on Spark, it
 * ends with a trained model whose MAP@R on the unseen classes is above the untrained network's, the run directory of a
 * single-machine run, the UI's stock page and retrieval page answering while it trains, and the stats of both Spark
 * workers and of the driver's evaluations in the run's stats file.
 */
@Tag("training")
class SparkTrainingTest {

    @Test
    void aSparkRunTrainsReportsAndResumes(@TempDir Path dir) throws Exception {
        Path data = TinyEmoji.copy(dir.resolve("emoji160"), 160);
        RunConfig config = ConfigLoader.load(null, List.of("dataset.root=" + data, "model.widths=[16,32,32]",
                "model.embeddingDim=32", "sampler.classesPerBatch=16", "training.iterations=60", "evaluation.every=20",
                "training.checkpointEvery=10", "evaluation.nmi=false", "spark.master=local[2]", "spark.averagingFrequency=3",
                "spark.collectStats=true"));
        Path run = dir.resolve("run");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true);
        List<String> seen = new ArrayList<>();
        try (UiListener ui = new UiListener(true, 0, true, out)) {
            Trainer.Listener probe = new UiProbe(ui, seen);
            Trainer.Result stopped = new Trainer(config, run, out).listener(ui).listener(probe).stopAfter(30).train("# test\n");
            assertFalse(stopped.finished());
            assertEquals(30, stopped.iterations());
            Trainer.Result done = Trainer.resume(run, out, List.of(ui, probe));
            assertTrue(done.finished(), log.toString());
            assertEquals(60, done.iterations());
        }
        String text = log.toString();
        assertTrue(text.contains("spark: master local[2], parameter averaging: 2 workers, averaging every 3 batches"), text);
        assertTrue(text.contains("resuming " + run + " at iteration 30"), text);

        MetricsLog metrics = MetricsLog.read(run);
        List<MetricsLog.Evaluation> rows = metrics.finalRows();
        double untrained = rows.stream().filter(r -> r.label().equals("untrained")).findFirst().orElseThrow().values().get("MAP@R");
        MetricsLog.Evaluation trained = rows.get(rows.size() - 1);
        assertEquals(60, trained.iteration());
        assertTrue(trained.values().get("MAP@R") > untrained, "MAP@R: untrained " + untrained + ", trained " + trained.values());
        assertEquals(List.of(20L, 40L, 60L), metrics.trained().stream().map(MetricsLog.Evaluation::iteration).toList());
        for (String file : List.of(Trainer.FINAL_MODEL, Trainer.BEST_MODEL, Trainer.REPORT, Trainer.CONFIG_FILE)) {
            assertTrue(Files.isRegularFile(run.resolve(file)), file);
        }
        String timings = Files.readString(run.resolve("spark-stats.tsv"));
        assertTrue(timings.startsWith("event\tcount\ttotal_ms\tmean_ms\n") && timings.contains("Worker"), timings);
        assertTrue(Files.size(run.resolve(Trainer.SPARK_STATS)) > 0);
        assertTrue(seen.size() >= 4 && seen.get(seen.size() - 1).contains("MAP@R"), String.join("\n", seen));

        FileStatsStorage stats = new FileStatsStorage(run.resolve(Trainer.STATS_FILE).toFile());
        try {
            assertSparkStats(stats);
        } finally {
            stats.close();
        }
    }

    /**
     * One session in {@code stats}, with the StatsListener records of at least 2 Spark workers (at least 2 updates
     * among them) and the driver's retrieval evaluations.
     */
    static void assertSparkStats(StatsStorage stats) {
        List<String> sessions = stats.listSessionIDs();
        assertEquals(1, sessions.size(), "one session (across a resume): " + sessions);
        String session = sessions.get(0);
        List<String> workers = stats.listWorkerIDsForSessionAndType(session, BaseStatsListener.TYPE_ID);
        assertTrue(workers.size() >= 2, "the StatsListener of each Spark worker: " + workers);
        int updates = 0;
        for (String w : workers) {
            updates += stats.getAllUpdatesAfter(session, BaseStatsListener.TYPE_ID, w, 0).size();
        }
        assertTrue(updates >= 2, "the workers' StatsListener updates: " + updates + " from " + workers);
        assertFalse(stats.listWorkerIDsForSessionAndType(session, RetrievalStats.TYPE_ID).isEmpty(),
                "the driver's retrieval evaluations");
    }
}
