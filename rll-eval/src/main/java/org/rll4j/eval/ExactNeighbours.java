package org.rll4j.eval;

import java.nio.FloatBuffer;
import java.util.Locale;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Exact k nearest neighbours by inner product, computed by blocked matrix multiplication with a
 * streaming top-k per query, in memory bounded by the block size (never the {@code N x N} matrix).
 *
 * <p>Ranking: decreasing inner product {@code q . g}; on L2-normalised rows this is decreasing
 * cosine similarity and increasing Euclidean distance ({@code |q - g|^2 = 2 - 2 q . g}). Ties are
 * broken by the smaller gallery index, so results are deterministic. Products are computed in
 * float32 by the ND4J backend's GEMM; inputs of other types are converted. Normalisation is the
 * caller's business ({@link RetrievalEvaluator} does it): this class ranks whatever finite vectors
 * it is given.
 *
 * <p>Two protocols: {@link #searchWithin} (one set is both queries and gallery; each query's own row
 * is excluded, duplicates of it are not) and {@link #searchBetween} (separate query and gallery sets).
 *
 * <p>Method: queries are taken in panels of {@code r} rows and the gallery {@code blockSize} rows
 * at a time; each {@code r x blockSize} tile of similarities is one GEMM into a reused buffer, and
 * every query row of the tile is scanned in Java right after, while the tile is still in the cache,
 * by a streaming top-k selector (one comparison with the k-th best so far, then a k-sized
 * min-heap of packed (similarity, index) keys). Panels are spread over one worker per core, each
 * with its own tile and single-threaded BLAS ({@link BlockedGemm#parallel}); results reach the
 * listener in query order whatever the scheduling, so they are deterministic. {@code r = blockSize / 2}
 * (a 2 MB tile by default), lowered when {@code k} is large so that the selectors' heaps
 * ({@code 8 r k} bytes) stay within {@code 2 blockSize^2} bytes. Memory beyond the inputs, per core:
 * the tile ({@code 4 r blockSize} bytes off-heap), the selectors and a row; plus the results.
 *
 * <p>Speed: the scan looks at every similarity once, with SIMD comparisons when the JVM runs with
 * {@code --add-modules jdk.incubator.vector} (the JDK's Vector API, an incubator module: the JVM prints a
 * warning at start-up) and one float at a time otherwise; see {@link #scanKind()}. Results are the same.
 */
public final class ExactNeighbours {

    /**
     * Default block size: tiles of 512 queries x 1024 gallery items, 2 MB of similarities per core, which
     * the scan reads from the cache right after the GEMM wrote them. With one 2048 x 2048 tile (16 MB)
     * computed by all BLAS threads, the scan had to fetch every tile back from memory and cost 40% of the
     * GEMM at SOP scale (D = 128, 2 cores). Measured there: 512-row panels made the single-threaded GEMM
     * about 8% faster than 256-row ones (1 MB tiles), and 1024-row panels gained nothing more.
     */
    public static final int DEFAULT_BLOCK_SIZE = 1024;

    /**
     * A query with more than one item in this many above its observer's window so far is scanned with the
     * branch-free counting loop; up to that, with the gate loop (a mispredicted branch per counted item
     * costs more than counting every item once the fraction passes a few percent).
     */
    private static final int DENSE_FRACTION = 16;

    /**
     * Receives the neighbours of each block of consecutive queries, in increasing query order, one call
     * at a time (from whichever search thread completed the block, so not necessarily the caller's).
     */
    @FunctionalInterface
    public interface BlockListener {
        /**
         * @param firstQuery index of the block's first query
         * @param queries queries in the block
         * @param k neighbours per query
         * @param indices {@code [queries][k]} row-major: gallery indices, nearest first; valid only
         *        during the call
         * @param similarities the matching inner products, same layout
         */
        void accept(int firstQuery, int queries, int k, int[] indices, float[] similarities);
    }

    /**
     * Sees, during a search, how each query's similarities fall around a per-query window, for metrics
     * that need more than the top k (package-private: used by {@link RetrievalEvaluator} to rank the
     * first same-class item). For every query and tile the search counts the items strictly above
     * {@link #upper}, hands over those within {@code [lower, upper]} one by one, and then passes the
     * count with the tile's row. A block of queries is scanned by one worker thread, which calls
     * {@code startBlock}, then everything for those queries, then {@code endBlock}; different blocks are
     * scanned by different threads at once, so an observer keeps its state per query.
     */
    interface RowObserver {
        void startBlock(int firstQuery, int queries);

        /** @return the window's lower end for this query (+Infinity: no window, nothing counted) */
        float lower(int query);

        /** @return the window's upper end; items strictly above it are counted, not offered */
        float upper(int query);

        /**
         * Called for every gallery item whose similarity to {@code query} lies in
         * {@code [lower(query), upper(query)]}, in increasing gallery index order within a tile; never for
         * the query itself.
         */
        void offer(int query, float similarity, int index);

        /**
         * Called once per query and tile, after its offers.
         *
         * @param above number of the tile's items with similarity strictly above {@code upper(query)}
         * @param row the tile's similarities for this query (the query itself set to -Infinity); valid
         *        only during the call
         * @param col0 gallery index of {@code row[0]}
         * @param cols items in {@code row}
         */
        void rowScanned(int query, int above, float[] row, int col0, int cols);

        void endBlock(int firstQuery, int queries);
    }

    /** Neighbours of every query, row-major {@code [queries][k]}. */
    public static final class Result {
        private final int queries;
        private final int k;
        private final int[] indices;
        private final float[] similarities;

        Result(int queries, int k) {
            this.queries = queries;
            this.k = k;
            this.indices = new int[Math.multiplyExact(queries, k)];
            this.similarities = new float[queries * k];
        }

        /** @return number of queries */
        public int queries() {
            return queries;
        }

        /** @return neighbours per query */
        public int k() {
            return k;
        }

        /**
         * @param query query index
         * @param rank 0 for the nearest
         * @return gallery index of the neighbour
         */
        public int index(int query, int rank) {
            return indices[query * k + rank];
        }

        /**
         * @param query query index
         * @param rank 0 for the nearest
         * @return inner product of query and neighbour
         */
        public float similarity(int query, int rank) {
            return similarities[query * k + rank];
        }

        /**
         * @param query query index
         * @return gallery indices of its neighbours, nearest first (a copy)
         */
        public int[] indices(int query) {
            return java.util.Arrays.copyOfRange(indices, query * k, query * k + k);
        }
    }

    private final int k;
    private final int blockSize;

    private ExactNeighbours(int k, int blockSize) {
        this.k = k;
        this.blockSize = blockSize;
    }

    /**
     * @param k neighbours per query, at least 1 (and at most the gallery size, checked per search)
     * @param blockSize gallery rows per tile (and query rows per tile unless k is large), at least 1
     * @return a search
     */
    public static ExactNeighbours of(int k, int blockSize) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, found " + k);
        }
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be >= 1, found " + blockSize);
        }
        return new ExactNeighbours(k, blockSize);
    }

    /** @return neighbours per query */
    public int k() {
        return k;
    }

    /** @return gallery rows per tile */
    public int blockSize() {
        return blockSize;
    }

    /** @return query rows per tile: half the block size, lowered for large k (see the class comment) */
    public int queryRowsPerTile() {
        long cap = Math.max(1L, (long) blockSize * blockSize / (4L * Math.max(1, k)));
        return (int) Math.min(Math.max(1, blockSize / 2), cap);
    }

    /**
     * Neighbours of every row of {@code items} among the other rows.
     *
     * @param items {@code [N, D]}, finite
     * @return {@code [N][k]} neighbours
     */
    public Result searchWithin(INDArray items) {
        INDArray x = Embeddings.checkedFloatMatrix(items, "embeddings");
        Result r = new Result((int) x.size(0), k);
        run(x, x, true, collector(r));
        return r;
    }

    /**
     * Neighbours of every query row among the gallery rows.
     *
     * @param queries {@code [Q, D]}, finite
     * @param gallery {@code [G, D]}, finite
     * @return {@code [Q][k]} neighbours
     */
    public Result searchBetween(INDArray queries, INDArray gallery) {
        INDArray q = Embeddings.checkedFloatMatrix(queries, "queries");
        INDArray g = Embeddings.checkedFloatMatrix(gallery, "gallery");
        Result r = new Result((int) q.size(0), k);
        run(q, g, false, collector(r));
        return r;
    }

    /**
     * {@link #searchWithin(INDArray)} without storing all results: {@code listener} sees each block of
     * queries once.
     */
    public void searchWithin(INDArray items, BlockListener listener) {
        INDArray x = Embeddings.checkedFloatMatrix(items, "embeddings");
        run(x, x, true, listener);
    }

    /**
     * {@link #searchBetween(INDArray, INDArray)} without storing all results: {@code listener} sees each
     * block of queries once.
     */
    public void searchBetween(INDArray queries, INDArray gallery, BlockListener listener) {
        INDArray q = Embeddings.checkedFloatMatrix(queries, "queries");
        INDArray g = Embeddings.checkedFloatMatrix(gallery, "gallery");
        run(q, g, false, listener);
    }

    private static BlockListener collector(Result r) {
        return (first, n, kk, idx, sim) -> {
            System.arraycopy(idx, 0, r.indices, first * kk, n * kk);
            System.arraycopy(sim, 0, r.similarities, first * kk, n * kk);
        };
    }

    /**
     * Search with an optional observer and optionally fewer neighbours for some queries (package-private).
     * Inputs must already be checked float matrices.
     *
     * @param k neighbours per query at most; 0 runs the observer alone
     * @param neighbours per query, each in {@code [0, k]}, or null for {@code k} each: a query with fewer
     *        gets index -1 and similarity NaN in the trailing slots of its {@code k} in the listener's arrays
     *        (a smaller k keeps a higher threshold, so fewer items enter the selector)
     */
    static void observe(INDArray q, INDArray g, boolean sameSet, int k, int[] neighbours, int blockSize,
                        BlockListener listener, RowObserver observer) {
        if (neighbours != null) {
            if (neighbours.length != q.size(0)) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "neighbours per query must have one entry per query (%d), found %d", q.size(0), neighbours.length));
            }
            for (int i = 0; i < neighbours.length; i++) {
                if (neighbours[i] < 0 || neighbours[i] > k) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT,
                            "neighbours of query %d must be in [0, %d], found %d", i, k, neighbours[i]));
                }
            }
        }
        new ExactNeighbours(k, blockSize).run(q, g, sameSet, listener, observer, neighbours);
    }

    private void run(INDArray q, INDArray g, boolean sameSet, BlockListener listener) {
        run(q, g, sameSet, listener, null, null);
    }

    private void run(INDArray q, INDArray g, boolean sameSet, BlockListener listener, RowObserver observer, int[] neighbours) {
        if (q.size(1) != g.size(1)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "queries and gallery must have the same dimension, found %d and %d", q.size(1), g.size(1)));
        }
        int nq = (int) q.size(0);
        int ng = (int) g.size(0);
        int available = sameSet ? ng - 1 : ng;
        if (k > available) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "k must be at most the number of gallery items a query can be matched with (%d%s), found %d; "
                            + "lower k or use a larger gallery", available, sameSet ? ", the set minus the query" : "", k));
        }
        int rowsPerTile = Math.min(queryRowsPerTile(), nq);
        int panels = (nq + rowsPerTile - 1) / rowsPerTile;
        int threads = Math.max(1, Math.min(panels, Runtime.getRuntime().availableProcessors()));
        InOrder ordered = k > 0 ? new InOrder(listener, k) : null;
        BlockedGemm.parallel(q, g, rowsPerTile, blockSize, threads,
                w -> new Scanner(rowsPerTile, Math.min(blockSize, ng), k, neighbours, sameSet, observer, ordered));
    }

    /**
     * Whether the scan runs on SIMD lanes ({@link VectorScan}): when the JVM resolved the incubator module
     * {@code jdk.incubator.vector} (started with {@code --add-modules jdk.incubator.vector}, as {@code ./rll}
     * and the tests do) and the system property {@code rll4j.eval.vectorScan} is not {@code false}.
     * Otherwise the scalar loop runs, with the same results about 3.5 times slower (at SOP scale, D = 128,
     * the neighbour suite then took 1.20 times the bare GEMM instead of 1.07).
     */
    private static final boolean VECTOR_SCAN = vectorScanAvailable();

    private static boolean vectorScanAvailable() {
        if (!Boolean.parseBoolean(System.getProperty("rll4j.eval.vectorScan", "true"))
                || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return false;
        }
        try {
            return VectorScan.next(new float[] {0f, 1f}, 0, 2, 0.5f) == 1;
        } catch (LinkageError e) { // the module is there but not readable from here (a custom module layer)
            return false;
        }
    }

    /**
     * @return how the search scans its tiles in this JVM: {@code "SIMD, N float lanes (jdk.incubator.vector)"}
     *         or {@code "scalar"} (see the class comment for the module flag that enables SIMD)
     */
    public static String scanKind() {
        return VECTOR_SCAN ? "SIMD, " + VectorScan.lanes() + " float lanes (jdk.incubator.vector)" : "scalar";
    }

    /** The first index in {@code [from, to)} whose value reaches {@code gate}, or {@code to}: the tight loop of the scan. */
    static int next(float[] row, int from, int to, float gate) {
        return VECTOR_SCAN ? VectorScan.next(row, from, to, gate) : scalarNext(row, from, to, gate);
    }

    /** {@link #next} one item at a time, for JVMs without the Vector API module. */
    static int scalarNext(float[] row, int from, int to, float gate) {
        for (int j = from; j < to; j++) {
            if (row[j] >= gate) {
                return j;
            }
        }
        return to;
    }

    /** Hands finished panels to the listener one at a time, in increasing query order, whichever worker finished them. */
    private static final class InOrder {
        private final BlockListener listener;
        private final int k;
        private final java.util.Map<Integer, Panel> pending = new java.util.HashMap<>();
        private int next;

        InOrder(BlockListener listener, int k) {
            this.listener = listener;
            this.k = k;
        }

        private record Panel(int queries, int[] indices, float[] similarities) {
        }

        synchronized void finished(int firstQuery, int queries, int[] indices, float[] similarities) {
            pending.put(firstQuery, new Panel(queries, indices, similarities));
            for (Panel p = pending.remove(next); p != null; p = pending.remove(next)) {
                listener.accept(next, p.queries(), k, p.indices(), p.similarities());
                next += p.queries();
            }
        }
    }

    /**
     * One worker: scans every query row of its panels' tiles with a streaming top-k selector per row and
     * the optional observer.
     */
    private static final class Scanner implements BlockedGemm.PanelWorker {
        private final int k;
        private final int[] neighbours;
        private final boolean sameSet;
        private final RowObserver observer;
        private final InOrder ordered;
        private final TopK[] selectors;
        private final long[] aboveSoFar;
        private final float[] row;

        Scanner(int rows, int cols, int k, int[] neighbours, boolean sameSet, RowObserver observer, InOrder ordered) {
            this.k = k;
            this.neighbours = neighbours;
            this.sameSet = sameSet;
            this.observer = observer;
            this.ordered = ordered;
            this.selectors = new TopK[k > 0 ? rows : 0];
            for (int i = 0; i < selectors.length; i++) {
                selectors[i] = new TopK(k);
            }
            this.aboveSoFar = new long[rows];
            this.row = new float[cols];
        }

        @Override
        public void startPanel(int row0, int rows) {
            for (int i = 0; i < rows && k > 0; i++) {
                selectors[i].reset(neighbours == null ? k : neighbours[row0 + i]);
            }
            java.util.Arrays.fill(aboveSoFar, 0);
            if (observer != null) {
                observer.startBlock(row0, rows);
            }
        }

        @Override
        public void endPanel(int row0, int rows) {
            if (observer != null) {
                observer.endBlock(row0, rows);
            }
            if (k > 0) {
                int[] indices = new int[rows * k];
                float[] sims = new float[rows * k];
                for (int i = 0; i < rows; i++) {
                    int want = neighbours == null ? k : neighbours[row0 + i];
                    int got = selectors[i].drainSorted(indices, sims, i * k);
                    if (got != want) {
                        throw new IllegalStateException("selector kept " + got + " of " + want + " neighbours for query " + (row0 + i));
                    }
                    java.util.Arrays.fill(indices, i * k + got, i * k + k, -1);
                    java.util.Arrays.fill(sims, i * k + got, i * k + k, Float.NaN);
                }
                ordered.finished(row0, rows, indices, sims);
            }
        }

        @Override
        public void accept(int row0, int col0, int rows, int cols, FloatBuffer tile) {
            for (int i = 0; i < rows; i++) {
                tile.get(i * cols, row, 0, cols);
                int query = row0 + i;
                if (sameSet) {
                    int self = query - col0;
                    if (self >= 0 && self < cols) {
                        row[self] = Float.NEGATIVE_INFINITY;
                    }
                }
                TopK top = k > 0 ? selectors[i] : null;
                if (observer == null) {
                    top.offer(row, 0, cols, col0);
                } else {
                    scan(i, query, col0, cols, top);
                }
            }
        }

        /** One pass over {@code row[0..cols)} for both the selector (if any) and the observer. */
        private void scan(int i, int query, int col0, int cols, TopK top) {
            // One pass for both, in one of two loops, picked by how many of the query's items so far lay
            // above the window (tiles come in increasing gallery order, col0 items before this one):
            float lower = observer.lower(query);
            float upper = observer.upper(query);
            float keep = top == null ? Float.POSITIVE_INFINITY : top.threshold();
            int above = 0;
            if (aboveSoFar[i] * DENSE_FRACTION <= col0) {
                // few items above the window so far (most queries, and every query's first tile): a tight loop
                // (SIMD where available) finds the next item that reaches the lower of the window and the top-k
                // threshold (moving that comparison out of this loop's body halved the scalar scan's CPU time),
                // the rest is only for the items that pass
                float gate = Math.min(lower, Math.nextUp(keep)); // TopK keeps v > keep, i.e. v >= nextUp(keep)
                for (int j = next(row, 0, cols, gate); j < cols; j = next(row, j + 1, cols, gate)) {
                    float v = row[j]; // v >= gate; never the masked query: gate >= nextUp(-Infinity) = -Float.MAX_VALUE
                    if (v > upper) {
                        above++;
                    } else if (v >= lower) {
                        observer.offer(query, v, col0 + j);
                    }
                    if (v > keep) {
                        top.add(v, col0 + j);
                        keep = top.threshold();
                        gate = Math.min(lower, Math.nextUp(keep));
                    }
                }
            } else {
                // many above the window so far (a hard query): count them branch-free with the
                // sign bit of upper - v, and branch only for items entering the top k or inside the window,
                // tested as |v - mid| <= width, a superset of [lower, upper] (width is the whole window, twice
                // what is needed, so float rounding of v - mid cannot drop an item)
                boolean window = lower != Float.POSITIVE_INFINITY;
                float mid = window ? 0.5f * (lower + upper) : 0f;
                float width = window ? upper - lower : -1f;
                for (int j = 0; j < cols; j++) {
                    float v = row[j];
                    above += Float.floatToRawIntBits(upper - v) >>> 31; // v > upper; never for -Infinity
                    if (v > keep || Math.abs(v - mid) <= width) {
                        if (v > keep) {
                            top.add(v, col0 + j);
                            keep = top.threshold();
                        }
                        if (v >= lower && v <= upper) {
                            observer.offer(query, v, col0 + j);
                        }
                    }
                }
            }
            aboveSoFar[i] += above;
            observer.rowScanned(query, above, row, col0, cols);
        }
    }
}
