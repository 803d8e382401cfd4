package org.rll4j.listeners;

import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.core.storage.Persistable;
import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.core.storage.StatsStorageRouter;

/**
 * Retrieval metrics of one evaluation, stored as a record in a DL4J {@link StatsStorage} next to
 * the {@code StatsListener}'s records, so that they live in the run's stats file and can be charted
 * by the retrieval page of the training UI ({@code RetrievalUIModule}, rll-ui) while training runs or later from the file.
 * {@link RetrievalEvaluationListener} writes them; the static methods are for anyone else:
 * <pre>{@code
 * RetrievalStats.put(storage, stats.getSessionID(), "worker0", net.getIterationCount(), net.getEpochCount(),
 *         Map.of("Recall@1", 0.42, "MAP@R", 0.17));
 * List<RetrievalStats.Point> points = RetrievalStats.read(storage, stats.getSessionID());
 * }</pre>
 * where {@code stats} is the run's {@code StatsListener} and {@code storage} its storage (from rll-app's
 * {@code TrainingUiTest.javadocExample}).
 *
 * <h2>Record</h2>
 * One record holds the session id, the type id {@value #TYPE_ID}, a worker id, a timestamp
 * (milliseconds since the epoch), the training iteration, the epoch and an ordered map from metric
 * name to value. Metric names are free text and are shown as given; name the definition in them
 * (for example {@code "NMI (arithmetic)"}), because libraries differ.
 *
 * <h2>Encoding (version 1)</h2>
 * The {@link Persistable} byte encoding, big-endian, is: one byte {@code version} (= 1); the
 * strings session id, type id, worker id, each as an {@code int} byte length followed by UTF-8
 * bytes; {@code long} timestamp; {@code long} iteration; {@code int} epoch; {@code int} metric
 * count; then per metric its name (as a string above) and its {@code double} value. A record whose
 * version is not 1 is rejected with an {@link IllegalArgumentException}; a later version must keep
 * decoding version 1, because stats files outlive the code that wrote them.
 *
 * <h2>Storage details</h2>
 * <ul>
 *   <li>{@code FileStatsStorage} re-creates records by class name, which is why this class is
 *       public, mutable and has a public no-argument constructor. Use the static methods rather
 *       than building records by hand. The class is not final only because stats files written before it
 *       moved here name it {@code org.rll4j.app.ui.RetrievalStats}: rll-app keeps that name as a subclass so
 *       those files still open.</li>
 *   <li>{@code StatsStorage} queries only see a (session, type, worker) key that has a static-info
 *       record, so {@link #put} writes one (with no metrics and iteration -1) the first time it sees
 *       a key.</li>
 *   <li>Updates are keyed by timestamp, and two updates with the same timestamp would overwrite
 *       each other; {@link #put} therefore makes the timestamps of a key strictly increasing.</li>
 * </ul>
 */
public class RetrievalStats implements Persistable {

    /** The type id of these records in a {@link StatsStorage}. */
    public static final String TYPE_ID = "RetrievalMetrics";

    /** The version written by {@link #encode()}. */
    static final int ENCODING_VERSION = 1;

    private static final long serialVersionUID = 1L;
    /** Bounds that keep a corrupt record from asking for gigabytes before it fails. */
    private static final int MAX_STRING_BYTES = 1 << 20;
    private static final int MAX_METRICS = 1 << 16;
    private static final Object PUT_LOCK = new Object();

    /** Session, normally the StatsListener's. */
    private String sessionId;
    /** Always {@link #TYPE_ID} for records written by {@link #put}. */
    private String typeId;
    /** Worker that evaluated. */
    private String workerId;
    /** Milliseconds since the epoch; strictly increasing per session and worker. */
    private long timestamp;
    /** Training iteration, -1 in a static-info record. */
    private long iteration;
    /** Epoch, -1 in a static-info record. */
    private int epoch;
    /** Metric name to value, in insertion order. */
    private LinkedHashMap<String, Double> metrics;

    /**
     * An empty record, for {@code StatsStorage} implementations that create records by class name
     * and then call {@link #decode(byte[])}. Use {@link #put} to store metrics.
     */
    public RetrievalStats() {
        this("", "", 0L, -1L, -1, Map.of());
    }

    RetrievalStats(String sessionId, String workerId, long timestamp, long iteration, int epoch,
            Map<String, Double> metrics) {
        this.sessionId = sessionId;
        this.typeId = TYPE_ID;
        this.workerId = workerId;
        this.timestamp = timestamp;
        this.iteration = iteration;
        this.epoch = epoch;
        this.metrics = new LinkedHashMap<>(metrics);
    }

    /**
     * Stores the metrics of one evaluation.
     *
     * <p>The timestamp is the current time, or one millisecond after the latest record of the same session and
     * worker when that is not earlier (see the class comment). When {@code router} is a {@link StatsStorage} (a
     * {@code FileStatsStorage} or {@code InMemoryStatsStorage}) the latest record is looked up, and the static-info
     * record of the key is written the first time. A router that cannot be queried (e.g. DL4J's
     * {@code RemoteUIStatsStorageRouter}) gets the static-info record with every update (the storage behind it keeps
     * one per key); pass the previous record's timestamp ({@link #put(StatsStorageRouter, String, String, long, int,
     * Map, long)}) to keep its timestamps increasing. Safe to call from several threads.
     *
     * @param router where to store; usually the {@code FileStatsStorage} of the run that the
     *        {@code StatsListener} writes to
     * @param sessionId the session, normally {@code StatsListener.getSessionID()}, so that the
     *        retrieval page and the stock pages show the same run
     * @param workerId the worker, for example {@code "worker0"}
     * @param iteration the training iteration the metrics belong to, at least 0
     * @param epoch the epoch the metrics belong to, at least 0
     * @param metrics metric name to value, at least one entry; names must not be blank and values
     *        not null ({@code NaN} is allowed and is charted as a gap). The iteration order of the
     *        map is kept.
     * @return the record's timestamp
     * @throws IllegalArgumentException if an argument breaks the rules above
     */
    public static long put(StatsStorageRouter router, String sessionId, String workerId, long iteration, int epoch,
            Map<String, Double> metrics) {
        return put(router, sessionId, workerId, iteration, epoch, metrics, Long.MIN_VALUE);
    }

    /**
     * Stores the metrics of one evaluation with a timestamp after {@code after}, as
     * {@link #put(StatsStorageRouter, String, String, long, int, Map)} does otherwise.
     *
     * @param router where to store
     * @param sessionId the session
     * @param workerId the worker
     * @param iteration the training iteration the metrics belong to, at least 0
     * @param epoch the epoch the metrics belong to, at least 0
     * @param metrics metric name to value, at least one entry
     * @param after a timestamp the record's must exceed: the previous record's of the key, for a router that
     *        cannot be queried ({@code Long.MIN_VALUE}: none)
     * @return the record's timestamp
     * @throws IllegalArgumentException if an argument breaks the rules of the other {@code put}
     */
    public static long put(StatsStorageRouter router, String sessionId, String workerId, long iteration, int epoch,
            Map<String, Double> metrics, long after) {
        Objects.requireNonNull(router, "router");
        requireNonBlank("sessionId", sessionId);
        requireNonBlank("workerId", workerId);
        if (iteration < 0) {
            throw new IllegalArgumentException("iteration must be >= 0, found " + iteration);
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, found " + epoch);
        }
        Objects.requireNonNull(metrics, "metrics");
        if (metrics.isEmpty()) {
            throw new IllegalArgumentException("metrics must hold at least one metric, found none");
        }
        for (Map.Entry<String, Double> e : metrics.entrySet()) {
            requireNonBlank("metric name", e.getKey());
            if (e.getValue() == null) {
                throw new IllegalArgumentException("metric value must not be null, found null for " + e.getKey());
            }
        }
        synchronized (PUT_LOCK) {
            long now = System.currentTimeMillis();
            long timestamp = after == Long.MIN_VALUE ? now : Math.max(now, after + 1);
            if (!(router instanceof StatsStorage storage)) {
                router.putStaticInfo(new RetrievalStats(sessionId, workerId, timestamp, -1L, -1, Map.of()));
                router.putUpdate(new RetrievalStats(sessionId, workerId, timestamp, iteration, epoch, metrics));
                return timestamp;
            }
            if (storage.getStaticInfo(sessionId, TYPE_ID, workerId) == null) {
                storage.putStaticInfo(new RetrievalStats(sessionId, workerId, now, -1L, -1, Map.of()));
            }
            Persistable latest = storage.getLatestUpdate(sessionId, TYPE_ID, workerId);
            if (latest != null) {
                timestamp = Math.max(timestamp, latest.getTimeStamp() + 1);
            }
            storage.putUpdate(new RetrievalStats(sessionId, workerId, timestamp, iteration, epoch, metrics));
            return timestamp;
        }
    }

    /**
     * Reads the retrieval metrics of one session, from every worker.
     *
     * <p>When a worker stored the same iteration more than once (a resumed run repeats the
     * iterations after its last checkpoint), only the latest record counts.
     *
     * @param storage the storage to read
     * @param sessionId the session
     * @return the points sorted by iteration, then worker id; empty when the session has none
     */
    public static List<Point> read(StatsStorage storage, String sessionId) {
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(sessionId, "sessionId");
        List<Point> points = new ArrayList<>();
        for (String worker : storage.listWorkerIDsForSessionAndType(sessionId, TYPE_ID)) {
            Map<Long, RetrievalStats> byIteration = new HashMap<>();
            for (Persistable p : storage.getAllUpdatesAfter(sessionId, TYPE_ID, worker, Long.MIN_VALUE)) {
                if (p instanceof RetrievalStats r) {
                    byIteration.merge(r.iteration, r, (a, b) -> a.timestamp >= b.timestamp ? a : b);
                }
            }
            for (RetrievalStats r : byIteration.values()) {
                points.add(new Point(r.workerId, r.iteration, r.epoch, r.timestamp, r.metrics));
            }
        }
        points.sort(Comparator.comparingLong(Point::iteration).thenComparing(Point::workerId));
        return points;
    }

    /**
     * One stored evaluation, as returned by {@link #read}.
     *
     * @param workerId the worker that stored it
     * @param iteration the training iteration
     * @param epoch the epoch
     * @param timestamp when it was stored, in milliseconds since the epoch
     * @param metrics metric name to value, in the order they were put; unmodifiable
     */
    public record Point(String workerId, long iteration, int epoch, long timestamp, Map<String, Double> metrics) {

        /**
         * Copies {@code metrics}, keeping its order.
         *
         * @param workerId the worker that stored it
         * @param iteration the training iteration
         * @param epoch the epoch
         * @param timestamp when it was stored, in milliseconds since the epoch
         * @param metrics metric name to value
         */
        public Point {
            Objects.requireNonNull(workerId, "workerId");
            metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        }
    }

    /** @return the training iteration; -1 in a static-info record */
    long iteration() {
        return iteration;
    }

    /** @return the epoch; -1 in a static-info record */
    int epoch() {
        return epoch;
    }

    /** @return metric name to value, in insertion order; unmodifiable */
    Map<String, Double> metrics() {
        return Collections.unmodifiableMap(metrics);
    }

    @Override
    public String getSessionID() {
        return sessionId;
    }

    @Override
    public String getTypeID() {
        return typeId;
    }

    @Override
    public String getWorkerID() {
        return workerId;
    }

    @Override
    public long getTimeStamp() {
        return timestamp;
    }

    @Override
    public int encodingLengthBytes() {
        int length = 1 + 3 * Integer.BYTES + utf8Length(sessionId) + utf8Length(typeId) + utf8Length(workerId)
                + 2 * Long.BYTES + 2 * Integer.BYTES;
        for (String name : metrics.keySet()) {
            length += Integer.BYTES + utf8Length(name) + Double.BYTES;
        }
        return length;
    }

    @Override
    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(encodingLengthBytes());
        try {
            write(new DataOutputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return bytes.toByteArray();
    }

    @Override
    public void encode(ByteBuffer buffer) {
        buffer.put(encode());
    }

    @Override
    public void encode(OutputStream outputStream) throws IOException {
        outputStream.write(encode());
    }

    @Override
    public void decode(byte[] bytes) {
        decode(ByteBuffer.wrap(bytes));
    }

    /**
     * Decodes a record from the buffer's position and advances the position past it.
     *
     * @throws IllegalArgumentException if the bytes are not a version-1 record
     */
    @Override
    public void decode(ByteBuffer buffer) {
        try {
            read(new DataInputStream(new ByteBufferInputStream(buffer)));
        } catch (EOFException e) {
            throw new IllegalArgumentException("RetrievalStats record is truncated", e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading from memory failed", e);
        }
    }

    /**
     * Decodes one record from the stream, reading exactly its bytes.
     *
     * @throws IllegalArgumentException if the bytes are not a version-1 record
     */
    @Override
    public void decode(InputStream inputStream) throws IOException {
        read(new DataInputStream(inputStream));
    }

    private void write(DataOutput out) throws IOException {
        out.writeByte(ENCODING_VERSION);
        writeString(out, sessionId);
        writeString(out, typeId);
        writeString(out, workerId);
        out.writeLong(timestamp);
        out.writeLong(iteration);
        out.writeInt(epoch);
        out.writeInt(metrics.size());
        for (Map.Entry<String, Double> e : metrics.entrySet()) {
            writeString(out, e.getKey());
            out.writeDouble(e.getValue());
        }
    }

    /** Reads all fields before assigning any, so that a failed decode leaves this record as it was. */
    private void read(DataInput in) throws IOException {
        int version = in.readUnsignedByte();
        if (version != ENCODING_VERSION) {
            throw new IllegalArgumentException("RetrievalStats encoding version must be " + ENCODING_VERSION
                    + ", found " + version + " (a record written by a newer rll4j?)");
        }
        String newSession = readString(in);
        String newType = readString(in);
        String newWorker = readString(in);
        long newTimestamp = in.readLong();
        long newIteration = in.readLong();
        int newEpoch = in.readInt();
        int count = in.readInt();
        if (count < 0 || count > MAX_METRICS) {
            throw new IllegalArgumentException("RetrievalStats metric count must be in [0, " + MAX_METRICS
                    + "], found " + count + " (corrupt record?)");
        }
        LinkedHashMap<String, Double> newMetrics = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String name = readString(in);
            newMetrics.put(name, in.readDouble());
        }
        sessionId = newSession;
        typeId = newType;
        workerId = newWorker;
        timestamp = newTimestamp;
        iteration = newIteration;
        epoch = newEpoch;
        metrics = newMetrics;
    }

    private static void writeString(DataOutput out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInput in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_STRING_BYTES) {
            throw new IllegalArgumentException("RetrievalStats string length must be in [0, " + MAX_STRING_BYTES
                    + "], found " + length + " (corrupt record?)");
        }
        byte[] b = new byte[length];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static void requireNonBlank(String what, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank, found "
                    + (value == null ? "null" : "\"" + value + "\""));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RetrievalStats r && timestamp == r.timestamp && iteration == r.iteration
                && epoch == r.epoch && sessionId.equals(r.sessionId) && typeId.equals(r.typeId)
                && workerId.equals(r.workerId) && metrics.equals(r.metrics);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sessionId, typeId, workerId, timestamp, iteration, epoch, metrics);
    }

    @Override
    public String toString() {
        return "RetrievalStats{session=" + sessionId + ", type=" + typeId + ", worker=" + workerId
                + ", timestamp=" + timestamp + ", iteration=" + iteration + ", epoch=" + epoch
                + ", metrics=" + metrics + "}";
    }

    /** Reads a buffer from its position, advancing it by exactly the bytes read. */
    private static final class ByteBufferInputStream extends InputStream {
        private final ByteBuffer buffer;

        ByteBufferInputStream(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public int read() {
            return buffer.hasRemaining() ? buffer.get() & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (!buffer.hasRemaining()) {
                return -1;
            }
            int n = Math.min(len, buffer.remaining());
            buffer.get(b, off, n);
            return n;
        }
    }
}
