package org.rll4j.listeners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.core.storage.Persistable;
import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.core.storage.impl.CollectionStatsStorageRouter;
import org.deeplearning4j.ui.model.storage.FileStatsStorage;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetrievalStatsTest {

    private static LinkedHashMap<String, Double> metrics(Object... nameValue) {
        LinkedHashMap<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            m.put((String) nameValue[i], (Double) nameValue[i + 1]);
        }
        return m;
    }

    private static RetrievalStats sample() {
        return new RetrievalStats("session-ä", "worker0", 1_700_000_000_123L, 250L, 3,
                metrics("Recall@1", 0.5, "MAP@R", Double.NaN, "NMI (arithmetic)", 0.75));
    }

    @Test
    void byteArrayRoundTripKeepsEveryFieldAndTheMetricOrder() {
        RetrievalStats original = sample();
        byte[] bytes = original.encode();
        assertEquals(original.encodingLengthBytes(), bytes.length);

        RetrievalStats decoded = new RetrievalStats();
        decoded.decode(bytes);
        assertEquals(original, decoded);
        assertEquals("session-ä", decoded.getSessionID());
        assertEquals(RetrievalStats.TYPE_ID, decoded.getTypeID());
        assertEquals("worker0", decoded.getWorkerID());
        assertEquals(1_700_000_000_123L, decoded.getTimeStamp());
        assertEquals(250L, decoded.iteration());
        assertEquals(3, decoded.epoch());
        assertEquals(List.of("Recall@1", "MAP@R", "NMI (arithmetic)"), List.copyOf(decoded.metrics().keySet()));
        assertTrue(decoded.metrics().get("MAP@R").isNaN());
    }

    @Test
    void byteBufferDecodeConsumesExactlyOneRecord() {
        RetrievalStats first = sample();
        RetrievalStats second = new RetrievalStats("s2", "w1", 5L, 7L, 0, metrics("Recall@8", 0.25));
        ByteBuffer buffer = ByteBuffer.allocate(first.encodingLengthBytes() + second.encodingLengthBytes());
        first.encode(buffer);
        second.encode(buffer);
        buffer.flip();

        RetrievalStats a = new RetrievalStats();
        a.decode(buffer);
        assertEquals(first.encodingLengthBytes(), buffer.position());
        RetrievalStats b = new RetrievalStats();
        b.decode(buffer);
        assertEquals(first, a);
        assertEquals(second, b);
        assertEquals(0, buffer.remaining());
    }

    @Test
    void streamDecodeConsumesExactlyOneRecord() throws IOException {
        RetrievalStats first = sample();
        RetrievalStats second = new RetrievalStats("s2", "w1", 5L, 7L, 0, metrics("Recall@8", 0.25));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        first.encode(out);
        second.encode(out);

        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        RetrievalStats a = new RetrievalStats();
        a.decode(in);
        RetrievalStats b = new RetrievalStats();
        b.decode(in);
        assertEquals(first, a);
        assertEquals(second, b);
        assertEquals(-1, in.read());
    }

    /** Freezes the version-1 layout: stats files written today must decode with later code. */
    @Test
    void version1LayoutIsTheDocumentedOne() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(1);
        for (String s : new String[] {"sid", "RetrievalMetrics", "w"}) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.writeInt(b.length);
            out.write(b);
        }
        out.writeLong(42L);
        out.writeLong(100L);
        out.writeInt(2);
        out.writeInt(1);
        out.writeInt(8);
        out.write("Recall@1".getBytes(StandardCharsets.UTF_8));
        out.writeDouble(0.625);

        RetrievalStats expected = new RetrievalStats("sid", "w", 42L, 100L, 2, metrics("Recall@1", 0.625));
        assertArrayEquals(bytes.toByteArray(), expected.encode());
        RetrievalStats decoded = new RetrievalStats();
        decoded.decode(bytes.toByteArray());
        assertEquals(expected, decoded);
    }

    @Test
    void unknownVersionIsRejectedWithTheVersionInTheMessage() {
        byte[] bytes = sample().encode();
        bytes[0] = 7;
        RetrievalStats r = new RetrievalStats();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.decode(bytes));
        assertEquals("RetrievalStats encoding version must be 1, found 7 (a record written by a newer rll4j?)",
                e.getMessage());
    }

    @Test
    void truncatedRecordIsRejectedAndLeavesTheRecordUnchanged() {
        byte[] bytes = sample().encode();
        byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 3);
        RetrievalStats r = new RetrievalStats("keep", "me", 1L, 2L, 3, metrics("x", 1.0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.decode(cut));
        assertEquals("RetrievalStats record is truncated", e.getMessage());
        assertEquals(new RetrievalStats("keep", "me", 1L, 2L, 3, metrics("x", 1.0)), r);
    }

    @Test
    void corruptLengthIsRejectedBeforeAllocating() {
        byte[] bytes = sample().encode();
        ByteBuffer.wrap(bytes).putInt(1, Integer.MAX_VALUE); // the session id's length
        RetrievalStats r = new RetrievalStats();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.decode(bytes));
        assertTrue(e.getMessage().startsWith("RetrievalStats string length must be in [0, 1048576], found 2147483647"),
                e.getMessage());
    }

    @Test
    void putThenReadInMemorySortsByIterationAndKeepsValues() {
        StatsStorage storage = new InMemoryStatsStorage();
        RetrievalStats.put(storage, "s", "worker0", 200, 1, metrics("Recall@1", 0.4, "MAP@R", 0.2));
        RetrievalStats.put(storage, "s", "worker0", 100, 0, metrics("Recall@1", 0.3, "MAP@R", 0.1));
        RetrievalStats.put(storage, "s", "worker0", 300, 2, metrics("Recall@1", 0.5, "MAP@R", 0.3));

        List<RetrievalStats.Point> points = RetrievalStats.read(storage, "s");
        assertEquals(List.of(100L, 200L, 300L), points.stream().map(RetrievalStats.Point::iteration).toList());
        assertEquals(List.of(0, 1, 2), points.stream().map(RetrievalStats.Point::epoch).toList());
        assertEquals(List.of(0.3, 0.4, 0.5), points.stream().map(p -> p.metrics().get("Recall@1")).toList());
        assertEquals(List.of("Recall@1", "MAP@R"), List.copyOf(points.get(0).metrics().keySet()));
        assertEquals("worker0", points.get(0).workerId());
        assertThrows(UnsupportedOperationException.class, () -> points.get(0).metrics().put("x", 1.0));
    }

    @Test
    void putGivesStrictlyIncreasingTimestampsSoNoUpdateIsOverwritten() {
        StatsStorage storage = new InMemoryStatsStorage();
        for (int i = 0; i < 20; i++) {
            RetrievalStats.put(storage, "s", "w", i, 0, metrics("Recall@1", i / 20.0));
        }
        List<RetrievalStats.Point> points = RetrievalStats.read(storage, "s");
        assertEquals(20, points.size());
        for (int i = 1; i < points.size(); i++) {
            assertTrue(points.get(i).timestamp() > points.get(i - 1).timestamp(), "timestamps at " + i);
        }
        assertEquals(20, storage.getNumUpdateRecordsFor("s", RetrievalStats.TYPE_ID, "w"));
    }

    @Test
    void putWritesOneStaticInfoRecordSoQueriesSeeTheKey() {
        StatsStorage storage = new InMemoryStatsStorage();
        RetrievalStats.put(storage, "s", "w", 1, 0, metrics("Recall@1", 0.1));
        RetrievalStats.put(storage, "s", "w", 2, 0, metrics("Recall@1", 0.2));
        assertEquals(1, storage.getAllStaticInfos("s", RetrievalStats.TYPE_ID).size());
        assertNotNull(storage.getStaticInfo("s", RetrievalStats.TYPE_ID, "w"));
        assertEquals(List.of("w"), storage.listWorkerIDsForSessionAndType("s", RetrievalStats.TYPE_ID));
        assertEquals(List.of(RetrievalStats.TYPE_ID), storage.listTypeIDsForSession("s"));
    }

    @Test
    void aRepeatedIterationKeepsOnlyTheLatestRecord() {
        StatsStorage storage = new InMemoryStatsStorage();
        RetrievalStats.put(storage, "s", "w", 100, 0, metrics("Recall@1", 0.3));
        RetrievalStats.put(storage, "s", "w", 200, 0, metrics("Recall@1", 0.4));
        RetrievalStats.put(storage, "s", "w", 200, 0, metrics("Recall@1", 0.45)); // resumed run re-evaluates
        List<RetrievalStats.Point> points = RetrievalStats.read(storage, "s");
        assertEquals(List.of(0.3, 0.45), points.stream().map(p -> p.metrics().get("Recall@1")).toList());
    }

    @Test
    void readMergesWorkersAndSeparatesSessions() {
        StatsStorage storage = new InMemoryStatsStorage();
        RetrievalStats.put(storage, "s", "w1", 20, 0, metrics("Recall@1", 0.2));
        RetrievalStats.put(storage, "s", "w0", 20, 0, metrics("Recall@1", 0.1));
        RetrievalStats.put(storage, "s", "w0", 10, 0, metrics("Recall@1", 0.0));
        RetrievalStats.put(storage, "other", "w0", 5, 0, metrics("Recall@1", 0.9));
        List<RetrievalStats.Point> points = RetrievalStats.read(storage, "s");
        assertEquals(List.of("w0@10", "w0@20", "w1@20"),
                points.stream().map(p -> p.workerId() + "@" + p.iteration()).toList());
        assertEquals(List.of(), RetrievalStats.read(storage, "missing"));
    }

    @Test
    void putRejectsBlankSessionWithTheRuleInTheMessage() {
        StatsStorage storage = new InMemoryStatsStorage();
        Map<String, Double> m = metrics("Recall@1", 0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RetrievalStats.put(storage, " ", "w", 1, 0, m));
        assertEquals("sessionId must not be blank, found \" \"", e.getMessage());
    }

    @Test
    void putRejectsEmptyMetrics() {
        StatsStorage storage = new InMemoryStatsStorage();
        Map<String, Double> none = Map.of();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RetrievalStats.put(storage, "s", "w", 1, 0, none));
        assertEquals("metrics must hold at least one metric, found none", e.getMessage());
    }

    @Test
    void putRejectsNullMetricValue() {
        StatsStorage storage = new InMemoryStatsStorage();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("Recall@1", null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RetrievalStats.put(storage, "s", "w", 1, 0, m));
        assertEquals("metric value must not be null, found null for Recall@1", e.getMessage());
    }

    @Test
    void putRejectsNegativeIteration() {
        StatsStorage storage = new InMemoryStatsStorage();
        Map<String, Double> m = metrics("Recall@1", 0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RetrievalStats.put(storage, "s", "w", -1, 0, m));
        assertEquals("iteration must be >= 0, found -1", e.getMessage());
    }

    @Test
    void fileStatsStorageKeepsThePointsAfterReopening(@TempDir Path dir) throws IOException {
        java.io.File file = dir.resolve("stats.dl4j").toFile();
        FileStatsStorage storage = new FileStatsStorage(file);
        RetrievalStats.put(storage, "run-1", "worker0", 50, 0,
                metrics("Recall@1", 0.25, "Recall@2", 0.375, "MAP@R", 0.125));
        RetrievalStats.put(storage, "run-1", "worker0", 100, 1,
                metrics("Recall@1", 0.5, "Recall@2", 0.625, "MAP@R", 0.25));
        List<RetrievalStats.Point> before = RetrievalStats.read(storage, "run-1");
        storage.close();

        FileStatsStorage reopened = new FileStatsStorage(file);
        try {
            List<RetrievalStats.Point> after = RetrievalStats.read(reopened, "run-1");
            assertEquals(before, after);
            assertEquals(2, after.size());
            assertEquals(Map.of("Recall@1", 0.5, "Recall@2", 0.625, "MAP@R", 0.25), after.get(1).metrics());
            assertEquals(List.of("run-1"), reopened.listSessionIDs());
            // appending after reopening continues the timestamps
            RetrievalStats.put(reopened, "run-1", "worker0", 150, 2, metrics("Recall@1", 0.75));
            assertEquals(3, RetrievalStats.read(reopened, "run-1").size());
        } finally {
            reopened.close();
        }
    }

    @Test
    void aRouterThatCannotBeQueriedGetsTheStaticInfoWithEveryUpdate() {
        List<Persistable> staticInfo = new ArrayList<>();
        List<Persistable> updates = new ArrayList<>();
        CollectionStatsStorageRouter remote = new CollectionStatsStorageRouter(new ArrayList<>(), staticInfo, updates);
        long first = RetrievalStats.put(remote, "s", "w", 10, 0, metrics("Recall@1", 0.1));
        long second = RetrievalStats.put(remote, "s", "w", 20, 1, metrics("Recall@1", 0.2), first);
        assertTrue(second > first, "given the previous timestamp, the next is later");
        assertEquals(2, staticInfo.size());
        assertEquals(List.of(10L, 20L), updates.stream().map(p -> ((RetrievalStats) p).iteration()).toList());
        assertEquals(List.of(-1L, -1L), staticInfo.stream().map(p -> ((RetrievalStats) p).iteration()).toList());
        InMemoryStatsStorage storage = new InMemoryStatsStorage();
        staticInfo.forEach(storage::putStaticInfo);
        updates.forEach(storage::putUpdate);
        assertEquals(List.of(10L, 20L), RetrievalStats.read(storage, "s").stream().map(RetrievalStats.Point::iteration).toList(),
                "what the storage behind the router receives reads as usual");
    }
}
