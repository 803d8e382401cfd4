package org.rll4j.app.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.core.storage.Persistable;
import org.deeplearning4j.ui.model.storage.FileStatsStorage;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stats file written before {@code RetrievalStats} moved to rll-listeners names the old class in its records;
 * it still opens, and its points read and chart as before.
 */
class OldRetrievalStatsTest {

    @Test
    @SuppressWarnings("deprecation")
    void aStatsFileWithRecordsOfTheOldClassStillReads(@TempDir Path dir) throws Exception {
        InMemoryStatsStorage source = new InMemoryStatsStorage();
        org.rll4j.listeners.RetrievalStats.put(source, "old-run", "rll4j-evaluation", 20, 1, Map.of("Recall@1", 0.25));
        Persistable written = source.getLatestUpdate("old-run", org.rll4j.listeners.RetrievalStats.TYPE_ID, "rll4j-evaluation");
        Persistable info = source.getStaticInfo("old-run", org.rll4j.listeners.RetrievalStats.TYPE_ID, "rll4j-evaluation");
        RetrievalStats oldUpdate = new RetrievalStats();
        oldUpdate.decode(written.encode());
        RetrievalStats oldInfo = new RetrievalStats();
        oldInfo.decode(info.encode());

        java.io.File file = dir.resolve("stats.dl4j").toFile();
        FileStatsStorage old = new FileStatsStorage(file);
        old.putStaticInfo(oldInfo);
        old.putUpdate(oldUpdate);
        old.close();

        FileStatsStorage reopened = new FileStatsStorage(file);
        try {
            Persistable read = reopened.getLatestUpdate("old-run", org.rll4j.listeners.RetrievalStats.TYPE_ID, "rll4j-evaluation");
            assertEquals(RetrievalStats.class, read.getClass(), "the file names the old class and gets it back");
            List<org.rll4j.listeners.RetrievalStats.Point> points = org.rll4j.listeners.RetrievalStats.read(reopened, "old-run");
            assertEquals(1, points.size());
            assertEquals(20L, points.get(0).iteration());
            assertEquals(Map.of("Recall@1", 0.25), points.get(0).metrics());
        } finally {
            reopened.close();
        }
    }
}
