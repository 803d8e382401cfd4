package org.rll4j.eval;

import java.nio.FloatBuffer;
import java.util.Locale;
import java.util.stream.IntStream;

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
 * <p>Method: queries are taken {@code r} rows at a time and the gallery {@code blockSize} rows at a
 * time; each {@code r x blockSize} tile of similarities is one GEMM into a reused buffer
 * ({@link BlockedGemm}), and every query row of the tile is scanned in Java by a streaming top-k
 * selector (one comparison with the k-th best so far, then a k-sized min-heap of packed (similarity,
 * index) keys; parallel over rows on the common fork-join pool). {@code r = blockSize}, lowered when
 * {@code k} is large so that the selectors' heaps ({@code 8 r k} bytes) stay within the tile's size. Memory beyond the
 * inputs: the tile ({@code 4 r blockSize} bytes off-heap), the selectors and the results.
 */
public final class ExactNeighbours {

    /**
     * Default block size: 2048 x 2048 tiles, 16 MB of similarities, which the scan reads back from cache
     * right after the GEMM wrote them; at SOP scale (D = 128, 2 cores) the suite took 12.4-12.7 s with
     * 2048 against 13.8 s with 4096 (64 MB tiles) and 12.8 s with 1024.
     */
    public static final int DEFAULT_BLOCK_SIZE = 2048;

    /**
     * A query with more than one item in this many above its observer's window so far is scanned with the
     * branch-free counting loop; below that, with the one-comparison gate loop (a mispredicted branch per
     * counted item costs more than counting every item once the fraction passes a few percent).
     */
    private static final int DENSE_FRACTION = 16;

    /** Receives the neighbours of each block of consecutive queries as soon as it is complete. */
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
     * count with the tile's row. Calls for different queries may come from different threads at once;
     * {@code startBlock} and {@code endBlock} come from the calling thread, before and after a block of
     * queries.
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

    /** @return query rows per tile: the block size, lowered for large k (see the class comment) */
    public int queryRowsPerTile() {
        long cap = Math.max(1L, (long) blockSize * blockSize / (4L * Math.max(1, k)));
        return (int) Math.min(blockSize, cap);
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
     * Search with an optional observer; {@code k = 0} (package-private) runs the observer alone.
     * Inputs must already be checked float matrices.
     */
    static void observe(INDArray q, INDArray g, boolean sameSet, int k, int blockSize, BlockListener listener,
                        RowObserver observer) {
        new ExactNeighbours(k, blockSize).run(q, g, sameSet, listener, observer);
    }

    private void run(INDArray q, INDArray g, boolean sameSet, BlockListener listener) {
        run(q, g, sameSet, listener, null);
    }

    private void run(INDArray q, INDArray g, boolean sameSet, BlockListener listener, RowObserver observer) {
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
        BlockedGemm gemm = new BlockedGemm(rowsPerTile, Math.min(blockSize, ng));
        TopK[] selectors = new TopK[k > 0 ? rowsPerTile : 0];
        for (int i = 0; i < selectors.length; i++) {
            selectors[i] = new TopK(k);
        }
        long[] aboveSoFar = observer == null ? null : new long[rowsPerTile];
        int[] indices = new int[rowsPerTile * k];
        float[] sims = new float[rowsPerTile * k];
        int threads = Math.max(1, Math.min(rowsPerTile, Runtime.getRuntime().availableProcessors()));
        for (int row0 = 0; row0 < nq; row0 += rowsPerTile) {
            int rows = Math.min(rowsPerTile, nq - row0);
            for (int i = 0; i < rows && k > 0; i++) {
                selectors[i].reset();
            }
            if (observer != null) {
                observer.startBlock(row0, rows);
                java.util.Arrays.fill(aboveSoFar, 0);
            }
            gemm.rowBlock(q, row0, rows, g,
                    (r0, c0, nr, nc, tile) -> scanTile(tile, r0, c0, nr, nc, sameSet, k > 0 ? selectors : null, observer,
                            aboveSoFar, threads));
            if (observer != null) {
                observer.endBlock(row0, rows);
            }
            if (k > 0) {
                for (int i = 0; i < rows; i++) {
                    int got = selectors[i].drainSorted(indices, sims, i * k);
                    if (got != k) {
                        throw new IllegalStateException("selector kept " + got + " of " + k + " neighbours for query " + (row0 + i));
                    }
                }
                listener.accept(row0, rows, k, indices, sims);
            }
        }
    }

    private static void scanTile(FloatBuffer tile, int row0, int col0, int rows, int cols, boolean sameSet,
                                 TopK[] selectors, RowObserver observer, long[] aboveSoFar, int threads) {
        int chunks = Math.min(8 * threads, rows); // several chunks per thread: balance when cores are shared
        IntStream.range(0, chunks).parallel().forEach(c -> {
            float[] row = new float[cols];
            int from = (int) ((long) rows * c / chunks);
            int to = (int) ((long) rows * (c + 1) / chunks);
            for (int i = from; i < to; i++) {
                tile.get(i * cols, row, 0, cols);
                int query = row0 + i;
                if (sameSet) {
                    int self = query - col0;
                    if (self >= 0 && self < cols) {
                        row[self] = Float.NEGATIVE_INFINITY;
                    }
                }
                TopK top = selectors == null ? null : selectors[i];
                if (observer == null) {
                    top.offer(row, 0, cols, col0);
                    continue;
                }
                // One pass for both, in one of two loops, picked by how many of the query's items so far lay
                // above the window (tiles come in increasing gallery order, col0 items before this one):
                float lower = observer.lower(query);
                float upper = observer.upper(query);
                float keep = top == null ? Float.POSITIVE_INFINITY : top.threshold();
                int above = 0;
                if (col0 > 0 && aboveSoFar[i] * DENSE_FRACTION < col0) {
                    // few items above the window (most queries): one comparison per item against the lower of
                    // the window and the top-k threshold, the rest only for the items that pass
                    float gate = Math.min(lower, Math.nextUp(keep)); // TopK keeps v > keep, i.e. v >= nextUp(keep)
                    for (int j = 0; j < cols; j++) {
                        float v = row[j];
                        if (v >= gate) { // never for the masked query: gate >= nextUp(-Infinity) = -Float.MAX_VALUE
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
                    }
                } else {
                    // many above the window (a hard query), or no history yet: count them branch-free with the
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
        });
    }
}
