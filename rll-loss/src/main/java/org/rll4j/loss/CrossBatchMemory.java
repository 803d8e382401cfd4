package org.rll4j.loss;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A cross-batch memory (X. Wang et al., "Cross-Batch Memory for Embedding Learning", CVPR 2020): a ring buffer
 * of the last {@code M} embeddings a loss has seen, with their class ids, used as extra gallery items of the
 * Ranked List Loss ({@link RankedListLoss#perQuery(INDArray, INDArray, CrossBatchMemory)}, or inside a network
 * through {@link CrossBatchMemoryConfig}).
 *
 * <p>Entries are constants: the loss gives no gradient to them. They are stored as given (the layer stores the
 * L2-normalised embeddings of its batches, in the network's data type), in slots {@code 0 .. size()-1}; once the
 * memory is full, each new row overwrites the oldest. An entry is an embedding, not an image: an image drawn again
 * in a later batch meets its earlier embedding in the memory as a different item of its own class (a positive).
 *
 * <p>The rows live in one detached {@code [M, D]} array allocated on the first {@link #add}; an {@code add} copies
 * into it, so the loss's pass allocates nothing of size {@code M x D}. Not thread-safe.
 */
public final class CrossBatchMemory {

    private static final int FORMAT = 1;

    private final int capacity;
    private INDArray rows;          // [capacity, dim], outside every workspace; null before the first add
    private DataType dataType;
    private int dim = -1;
    private double[] squaredNorms;
    private long[] ids;
    private int size;
    private int next;               // the slot the next row goes to

    /**
     * @param capacity M, the number of embeddings kept, {@code >= 1}
     */
    public CrossBatchMemory(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a cross-batch memory holds at least 1 embedding, found capacity " + capacity);
        }
        this.capacity = capacity;
    }

    /** M: the most embeddings kept. */
    public int capacity() {
        return capacity;
    }

    /** The embeddings held now, {@code <= capacity()}. */
    public int size() {
        return size;
    }

    /** D, the embedding width, or -1 before the first {@link #add}. */
    public int dimension() {
        return dim;
    }

    /** The data type the rows are stored in (that of the first {@link #add}), or null before it. */
    public DataType dataType() {
        return dataType;
    }

    /** Empties the memory; the next {@link #add} may have another width or data type. */
    public void clear() {
        rows = null;
        dataType = null;
        dim = -1;
        squaredNorms = null;
        ids = null;
        size = 0;
        next = 0;
    }

    /**
     * Adds embeddings as they are (a loss on unit embeddings expects unit rows), the oldest first; when more than
     * {@code capacity()} are given, only the last {@code capacity()} stay.
     *
     * @param embeddings {@code [n, D]}, finite, FLOAT or DOUBLE; D as in the earlier adds
     * @param classIds the class id of each row
     * @throws IllegalArgumentException naming the mismatch, when the width or the number of ids is wrong
     */
    public void add(INDArray embeddings, long[] classIds) {
        if (embeddings.rank() != 2) {
            throw new IllegalArgumentException("embeddings must be [n, D], found shape " + Arrays.toString(embeddings.shape()));
        }
        DataType type = embeddings.dataType() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        add(DenseRows.read(embeddings), classIds, (int) embeddings.size(0), (int) embeddings.size(1), type);
    }

    /** {@link #add(INDArray, long[])} of row-major doubles, stored in {@code type} (that of the first add). */
    void add(double[] values, long[] classIds, int n, int width, DataType type) {
        if (classIds.length != n) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%d class ids for %d embeddings", classIds.length, n));
        }
        if (dim >= 0 && width != dim) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "the memory holds embeddings of width %d, "
                    + "found width %d; clear() it when the model changes shape", dim, width));
        }
        if (rows == null) {
            allocate(type, width);
        }
        int from = Math.max(0, n - capacity);
        int at = from;
        while (at < n) {
            int len = Math.min(n - at, capacity - next);
            double[] chunk = Arrays.copyOfRange(values, at * width, (at + len) * width);
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                rows.get(NDArrayIndex.interval(next, next + len), NDArrayIndex.all())
                        .assign(DenseRows.write(chunk, dataType, len, width));
            }
            boolean asFloat = dataType == DataType.FLOAT;
            for (int r = 0; r < len; r++) {
                // the norm of the values as stored, rounded as DenseRows.write rounds them (a FLOAT row of a unit
                // vector is unit to about 1e-7)
                double s = 0;
                for (int k = 0; k < width; k++) {
                    double v = asFloat ? (float) chunk[r * width + k] : chunk[r * width + k];
                    s += v * v;
                }
                squaredNorms[next + r] = s;
                ids[next + r] = classIds[at + r];
            }
            at += len;
            next = (next + len) % capacity;
            size = Math.min(capacity, size + len);
        }
    }

    private void allocate(DataType type, int width) {
        if (width < 1) {
            throw new IllegalArgumentException("embeddings must have at least one column, found width " + width);
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            rows = Nd4j.zeros(type, capacity, width);
        }
        dataType = type;
        dim = width;
        squaredNorms = new double[capacity];
        ids = new long[capacity];
    }

    /** The held rows, {@code [size(), D]} (a view of the buffer; read only). */
    INDArray rows() {
        return size == capacity ? rows : rows.get(NDArrayIndex.interval(0, size), NDArrayIndex.all());
    }

    /** Class id of slot {@code j}. */
    long id(int j) {
        return ids[j];
    }

    /** {@code ||m_j||^2} of the stored row. */
    double squaredNorm(int j) {
        return squaredNorms[j];
    }

    /** The stored row {@code j} as doubles. */
    double[] row(int j) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return rows.getRow(j).castTo(DataType.DOUBLE).toDoubleVector();
        }
    }

    /** The class ids of slots {@code 0 .. size()-1}. */
    public long[] classIds() {
        return ids == null ? new long[0] : Arrays.copyOf(ids, size);
    }

    /** A copy of the held rows, {@code [size(), D]}, in the stored data type (null when empty). */
    public INDArray embeddings() {
        if (size == 0) {
            return null;
        }
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return rows().dup();
        }
    }

    /**
     * The whole state (capacity, rows exactly as stored, ids, the ring's position), for checkpoints: {@link #fromBytes}
     * gives a memory that behaves identically.
     */
    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(FORMAT);
            out.writeInt(capacity);
            out.writeInt(size);
            out.writeInt(next);
            out.writeInt(dim);
            out.writeUTF(dataType == null ? "" : dataType.name());
            if (size > 0) {
                writeRows(out, Arrays.copyOf(ids, size), DenseRows.read(rows())); // FLOAT values are exact as doubles
            }
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /**
     * @param state what {@link #toBytes} wrote
     * @return the memory
     * @throws IOException when the bytes are not such a state
     */
    public static CrossBatchMemory fromBytes(byte[] state) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            int format = in.readInt();
            if (format != FORMAT) {
                throw new IOException("not a cross-batch memory state of format " + FORMAT + " (found " + format + ")");
            }
            int capacity = in.readInt();
            int size = in.readInt();
            int next = in.readInt();
            int dim = in.readInt();
            String type = in.readUTF();
            if (capacity < 1 || size < 0 || size > capacity || next < 0 || next >= capacity || (size > 0 && dim < 1)) {
                throw new IOException(String.format(Locale.ROOT, "corrupt cross-batch memory state: capacity %d, size %d, "
                        + "next slot %d, width %d", capacity, size, next, dim));
            }
            CrossBatchMemory m = new CrossBatchMemory(capacity);
            if (size == 0) {
                return m;
            }
            long[] ids = readIds(in, size);
            m.add(readValues(in, size * dim), ids, size, dim, DataType.valueOf(type));
            m.next = next;
            return m;
        } catch (IllegalArgumentException | java.io.EOFException e) {
            throw new IOException("corrupt cross-batch memory state (" + e.getMessage() + ")", e);
        }
    }

    /** Writes the class ids, then the row-major values: the rows of a memory state or of a pending batch. */
    static void writeRows(DataOutputStream out, long[] classIds, double[] values) throws IOException {
        for (long id : classIds) {
            out.writeLong(id);
        }
        for (double v : values) {
            out.writeDouble(v);
        }
    }

    /** The {@code n} class ids {@link #writeRows} wrote. */
    static long[] readIds(DataInputStream in, int n) throws IOException {
        long[] ids = new long[n];
        for (int j = 0; j < n; j++) {
            ids[j] = in.readLong();
        }
        return ids;
    }

    /** The {@code n} values {@link #writeRows} wrote after the ids. */
    static double[] readValues(DataInputStream in, int n) throws IOException {
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = in.readDouble();
        }
        return values;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "CrossBatchMemory(%d of %d embeddings, D = %d)", size, capacity, dim);
    }
}
