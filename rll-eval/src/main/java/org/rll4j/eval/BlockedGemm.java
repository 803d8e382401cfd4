package org.rll4j.eval;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The product {@code A B^T} of two row-major float matrices ({@code A: [M, D]}, {@code B: [N, D]}),
 * computed tile by tile into one reused buffer of {@code maxRows x maxColumns} floats, so that the
 * full {@code M x N} matrix never exists. Each tile is handed to a {@link TileConsumer} and then
 * overwritten by the next.
 *
 * <p>Every tile is one {@code Nd4j.gemm(a, b, c, false, true, 1, 0)} call on row ranges of {@code A}
 * and {@code B} (views, no copies) into a c-ordered array over the reused buffer: in ND4J
 * 1.0.0-M2.1, {@code a.mmul(b.transpose())} is several times slower, and allocating a result per
 * tile outside a workspace is slow too. Used by {@link ExactNeighbours} and {@link KMeans}; the
 * retrieval benchmark runs it with a consumer that does nothing, as the floor of the neighbour
 * search.
 *
 * <p>Memory: {@code 4 * maxRows * maxColumns} bytes off-heap, allocated once per instance. An
 * instance is not thread-safe; {@link #parallel} runs one instance per worker thread.
 */
public final class BlockedGemm {

    /** Receives each tile of the product. */
    @FunctionalInterface
    public interface TileConsumer {
        /**
         * @param row0 first row of {@code A} in the tile
         * @param col0 first row of {@code B} (column of the product) in the tile
         * @param rows rows in the tile
         * @param cols columns in the tile
         * @param tile the tile, c-ordered: element {@code (i, j)} at {@code i * cols + j}; valid only
         *        during the call
         */
        void accept(int row0, int col0, int rows, int cols, FloatBuffer tile);
    }

    /** One worker of {@link #parallel}: sees the tiles of one row panel after another, on its own thread. */
    public interface PanelWorker extends TileConsumer {
        /** Before the first tile of the panel of rows {@code [row0, row0 + rows)}. */
        default void startPanel(int row0, int rows) {
        }

        /** After the last tile of the panel. */
        default void endPanel(int row0, int rows) {
        }
    }

    private static final Object BLAS_THREADS_LOCK = new Object();
    private static int parallelRuns;
    private static int savedBlasThreads;

    private final int maxRows;
    private final int maxColumns;
    private final DataBuffer buffer;
    private final FloatBuffer view;

    /**
     * @param maxRows rows of {@code A} per tile, at least 1
     * @param maxColumns rows of {@code B} per tile, at least 1
     */
    public BlockedGemm(int maxRows, int maxColumns) {
        if (maxRows < 1 || maxColumns < 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "tile rows and columns must be >= 1, found %d x %d", maxRows, maxColumns));
        }
        if ((long) maxRows * maxColumns > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "tile must hold fewer than 2^31 floats, found %d x %d; use a smaller block size", maxRows, maxColumns));
        }
        this.maxRows = maxRows;
        this.maxColumns = maxColumns;
        this.buffer = Nd4j.createBuffer(DataType.FLOAT, (long) maxRows * maxColumns, false);
        this.view = buffer.asNioFloat();
    }

    /** @return rows of {@code A} per tile */
    public int maxRows() {
        return maxRows;
    }

    /** @return rows of {@code B} per tile */
    public int maxColumns() {
        return maxColumns;
    }

    /**
     * Computes rows {@code [row0, row0 + rows)} of {@code A B^T}, tile by tile along the columns
     * (increasing column order), and hands each tile to {@code consumer}.
     *
     * @param a {@code [M, D]}, FLOAT, c-ordered and contiguous
     * @param row0 first row of {@code a}
     * @param rows number of rows, in {@code [1, maxRows]}
     * @param b {@code [N, D]}, FLOAT, c-ordered and contiguous
     * @param consumer receives each tile
     */
    public void rowBlock(INDArray a, int row0, int rows, INDArray b, TileConsumer consumer) {
        if (rows < 1 || rows > maxRows || row0 < 0 || row0 + rows > a.size(0)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "row block [%d, %d) must lie in [0, %d) and hold at most %d rows", row0, row0 + rows, a.size(0), maxRows));
        }
        if (a.size(1) != b.size(1)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "both matrices must have the same number of columns, found %d and %d", a.size(1), b.size(1)));
        }
        INDArray aBlock = rows == a.size(0) ? a : a.get(NDArrayIndex.interval(row0, row0 + rows), NDArrayIndex.all());
        int n = (int) b.size(0);
        for (int col0 = 0; col0 < n; col0 += maxColumns) {
            int cols = Math.min(maxColumns, n - col0);
            INDArray bBlock = cols == n ? b : b.get(NDArrayIndex.interval(col0, col0 + cols), NDArrayIndex.all());
            INDArray c = Nd4j.create(buffer, new long[] {rows, cols}, new long[] {cols, 1}, 0, 'c');
            Nd4j.gemm(aBlock, bBlock, c, false, true, 1.0, 0.0);
            consumer.accept(row0, col0, rows, cols, view);
        }
    }

    /**
     * The whole product {@code A B^T}, row blocks outer and column tiles inner.
     *
     * @param a {@code [M, D]}, FLOAT, c-ordered and contiguous
     * @param b {@code [N, D]}, FLOAT, c-ordered and contiguous
     * @param consumer receives each tile
     */
    public void all(INDArray a, INDArray b, TileConsumer consumer) {
        int m = (int) a.size(0);
        for (int row0 = 0; row0 < m; row0 += maxRows) {
            rowBlock(a, row0, Math.min(maxRows, m - row0), b, consumer);
        }
    }

    /**
     * The whole product {@code A B^T} in parallel by row panels: {@code threads} workers (the calling
     * thread and {@code threads - 1} new ones), each with its own tile buffer of
     * {@code panelRows x tileColumns} floats, take panels of {@code panelRows} consecutive rows of
     * {@code A} in turn and compute each panel tile by tile (increasing column order) with
     * single-threaded BLAS, handing every tile to their own {@link PanelWorker}. Tiles of a few MB stay in
     * the cache between the GEMM that writes them and the worker that reads them, which one large tile
     * computed by all BLAS threads does not (at SOP scale, D = 128: the scan of a 16 MB tile cost 40% of
     * the GEMM; of a 2 MB one, 4-7% with SIMD comparisons and about 20% without).
     *
     * <p>While any parallel product runs with more than one worker, the backend's BLAS thread count
     * is set to 1 (two multi-threaded GEMMs at once are several times slower on 2 cores) and is
     * restored when the last one ends; other BLAS calls of the process run single-threaded meanwhile.
     * A worker's exception stops the others after their current panel and is rethrown here.
     *
     * @param a {@code [M, D]}, FLOAT, c-ordered and contiguous
     * @param b {@code [N, D]}, FLOAT, c-ordered and contiguous
     * @param panelRows rows of {@code A} per panel, at least 1
     * @param tileColumns rows of {@code B} per tile, at least 1
     * @param threads workers, at least 1 (fewer are used when there are fewer panels)
     * @param workers creates worker {@code w} (0-based); called once per worker, on its thread
     */
    public static void parallel(INDArray a, INDArray b, int panelRows, int tileColumns, int threads,
                                IntFunction<? extends PanelWorker> workers) {
        if (panelRows < 1 || tileColumns < 1 || threads < 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "panel rows, tile columns and threads must be >= 1, found %d, %d, %d", panelRows, tileColumns, threads));
        }
        int m = (int) a.size(0);
        int panels = (int) ((m + (long) panelRows - 1) / panelRows);
        int used = Math.max(1, Math.min(threads, panels));
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        IntFunction<Runnable> body = w -> () -> {
            try {
                BlockedGemm gemm = new BlockedGemm(Math.min(panelRows, Math.max(1, m)), (int) Math.min(tileColumns, Math.max(1, b.size(0))));
                PanelWorker worker = workers.apply(w);
                for (int p = next.getAndIncrement(); p < panels && failure.get() == null; p = next.getAndIncrement()) {
                    int row0 = p * panelRows;
                    int rows = Math.min(panelRows, m - row0);
                    worker.startPanel(row0, rows);
                    gemm.rowBlock(a, row0, rows, b, worker);
                    worker.endPanel(row0, rows);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
        if (used == 1) {
            body.apply(0).run();
        } else {
            singleThreadedBlas(true);
            try {
                List<Thread> started = new ArrayList<>();
                for (int w = 1; w < used; w++) {
                    Thread t = new Thread(body.apply(w), "rll4j-gemm-worker-" + w);
                    t.setDaemon(true);
                    t.start();
                    started.add(t);
                }
                body.apply(0).run();
                for (Thread t : started) {
                    joinUninterruptibly(t);
                }
            } finally {
                singleThreadedBlas(false);
            }
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new IllegalStateException("a GEMM worker failed: " + t, t);
        }
    }

    private static void singleThreadedBlas(boolean enter) {
        synchronized (BLAS_THREADS_LOCK) {
            org.nd4j.linalg.api.blas.Blas blas = Nd4j.factory().blas();
            if (enter && parallelRuns++ == 0) {
                savedBlasThreads = blas.getMaxThreads();
                blas.setMaxThreads(1);
            } else if (!enter && --parallelRuns == 0) {
                blas.setMaxThreads(savedBlasThreads);
            }
        }
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
