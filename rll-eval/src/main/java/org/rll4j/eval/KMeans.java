package org.rll4j.eval;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Lloyd's k-means with k-means++ seeding, seeded, blocked like {@link ExactNeighbours}, for the NMI
 * and F1 of a clustering with one cluster per class (e.g. 11,316 clusters over 60,502 points for
 * Stanford Online Products).
 *
 * <p>Seeding (Arthur and Vassilvitskii, "k-means++", SODA 2007): the first centre is a uniformly
 * random point; each next centre is point i with probability {@code D(i)^2 / sum_j D(j)^2}, where
 * {@code D(i)} is the distance of i to its nearest centre so far (one candidate per step, not
 * scikit-learn's greedy variant with several). {@code D^2} is kept per point and updated with the
 * new centres by blocked GEMMs, N k D multiply-adds in all; applying one centre at a time would be a
 * memory-bound matrix-vector pass over X per centre (11,316 passes over 60,502 x D floats for SOP),
 * so centres are applied in batches of up to 64 and each draw in between is exact by rejection: a
 * point i is drawn from the stale {@code D^2} (prefix sums, binary search), its exact {@code D(i)^2}
 * is computed against the centres not yet applied, and it is accepted with probability
 * exact / stale (the exact values never exceed the stale ones, so this samples exactly
 * {@code D^2 / sum D^2}). After 8 rejections in one draw the pending centres are applied first. A
 * point equal to a chosen centre has {@code D^2 = 0} and is never drawn; if every remaining
 * {@code D^2} is 0 (fewer distinct points than clusters), the next centre is a uniformly random point
 * not chosen yet.
 *
 * <p>Iterations: assignment to the nearest centre by blocked {@code X C^T} products
 * ({@link BlockedGemm#parallel}, tiles as in {@link ExactNeighbours}; nearest = largest
 * {@code x.c - |c|^2/2}, ties to the smaller centre index),
 * then each centre moves to the mean of its points. A cluster left empty is re-seeded with the point
 * farthest from its current centre (each such point used once per iteration), as scikit-learn does.
 * Stops when no assignment changes, or when the summed squared centre shift is at most
 * {@code tolerance * mean_d var(X[:, d])} (scikit-learn's relative tolerance), or after
 * {@code maxIterations}; after a tolerance stop the points are assigned once more to the final centres.
 * With {@code restarts > 1}, independent seedings run and the result with the lowest inertia
 * (sum of squared distances to the assigned centre) is kept.
 *
 * <p>Arithmetic: float32 products, double accumulation of means and inertia.
 */
public final class KMeans {

    private final int clusters;
    private final int maxIterations;
    private final double tolerance;
    private final int restarts;
    private final long seed;
    private final int blockSize;

    private KMeans(Builder b) {
        this.clusters = b.clusters;
        this.maxIterations = b.maxIterations;
        this.tolerance = b.tolerance;
        this.restarts = b.restarts;
        this.seed = b.seed;
        this.blockSize = b.blockSize;
    }

    /** @return a builder; {@code clusters} is required, the rest have defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return number of clusters */
    public int clusters() {
        return clusters;
    }

    /** @return maximum Lloyd iterations per restart */
    public int maxIterations() {
        return maxIterations;
    }

    /** @return relative tolerance on the centre shift */
    public double tolerance() {
        return tolerance;
    }

    /** @return independent seedings, best inertia kept */
    public int restarts() {
        return restarts;
    }

    /** @return random seed */
    public long seed() {
        return seed;
    }

    /** @return rows per GEMM tile */
    public int blockSize() {
        return blockSize;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "KMeans{clusters=%d, maxIterations=%d, tolerance=%s, restarts=%d, seed=%d, blockSize=%d}",
                clusters, maxIterations, tolerance, restarts, seed, blockSize);
    }

    /** The outcome of {@link #fit}. */
    public static final class Result {
        private final int[] assignments;
        private final double inertia;
        private final int iterations;
        private final boolean converged;
        private final int emptyClustersReseeded;
        private final double[] restartInertias;
        private final double seedingMillis;
        private final double iterationMillis;

        Result(int[] assignments, double inertia, int iterations, boolean converged, int emptyClustersReseeded,
               double[] restartInertias, double seedingMillis, double iterationMillis) {
            this.seedingMillis = seedingMillis;
            this.iterationMillis = iterationMillis;
            this.assignments = assignments;
            this.inertia = inertia;
            this.iterations = iterations;
            this.converged = converged;
            this.emptyClustersReseeded = emptyClustersReseeded;
            this.restartInertias = restartInertias;
        }

        /** @return cluster of each point (a copy) */
        public int[] assignments() {
            return assignments.clone();
        }

        /** @return sum over points of the squared distance to their centre */
        public double inertia() {
            return inertia;
        }

        /** @return Lloyd iterations run by the kept restart */
        public int iterations() {
            return iterations;
        }

        /** @return whether the kept restart stopped by the tolerance or unchanged assignments */
        public boolean converged() {
            return converged;
        }

        /** @return empty clusters re-seeded during the kept restart */
        public int emptyClustersReseeded() {
            return emptyClustersReseeded;
        }

        /** @return wall time of the k-means++ seeding of all restarts, milliseconds */
        public double seedingMillis() {
            return seedingMillis;
        }

        /** @return wall time of the Lloyd iterations (and final assignments) of all restarts, milliseconds */
        public double iterationMillis() {
            return iterationMillis;
        }

        /** @return final inertia of each restart, in order (a copy) */
        public double[] restartInertias() {
            return restartInertias.clone();
        }
    }

    /**
     * @param points {@code [N, D]}, finite, {@code N >= clusters}
     * @return the best clustering over the restarts
     */
    public Result fit(INDArray points) {
        INDArray x = Embeddings.checkedFloatMatrix(points, "points");
        int n = (int) x.size(0);
        if (clusters > n) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "clusters must be at most the number of points (%d), found %d", n, clusters));
        }
        int d = (int) x.size(1);
        float[] xs = new float[n * d];
        x.data().asNioFloat().get(0, xs, 0, n * d);
        double[] sq = new double[n];
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                float v = xs[i * d + j];
                s += (double) v * v;
                mean[j] += v;
            }
            sq[i] = s;
        }
        double var = 0;
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                double t = xs[i * d + j] - mean[j];
                var += t * t;
            }
        }
        double absTol = tolerance * var / ((double) n * d);
        SplittableRandom root = new SplittableRandom(seed);
        Result best = null;
        double[] inertias = new double[restarts];
        double seeding = 0;
        double lloyd = 0;
        for (int r = 0; r < restarts; r++) {
            Result res = run(x, xs, sq, n, d, absTol, root.split());
            inertias[r] = res.inertia;
            seeding += res.seedingMillis;
            lloyd += res.iterationMillis;
            if (best == null || res.inertia < best.inertia) {
                best = res;
            }
        }
        return new Result(best.assignments, best.inertia, best.iterations, best.converged, best.emptyClustersReseeded, inertias,
                seeding, lloyd);
    }

    private Result run(INDArray x, float[] xs, double[] sq, int n, int d, double absTol, SplittableRandom rnd) {
        long t0 = System.nanoTime();
        float[] centres = seedPlusPlus(x, xs, sq, n, d, rnd);
        long t1 = System.nanoTime();
        int[] assign = new int[n];
        double[] dist = new double[n];
        Arrays.fill(assign, -1);
        int iterations = 0;
        boolean converged = false;
        int reseeded = 0;
        INDArray c = Nd4j.create(DataType.FLOAT, clusters, d);
        double[] sums = new double[clusters * d];
        int[] counts = new int[clusters];
        while (true) {
            c.data().asNioFloat().put(0, centres, 0, clusters * d);
            boolean changed = assignAll(x, c, centres, sq, d, assign, dist);
            if (!changed || iterations == maxIterations) {
                converged = !changed;
                break;
            }
            iterations++;
            Arrays.fill(sums, 0);
            Arrays.fill(counts, 0);
            for (int i = 0; i < n; i++) {
                int a = assign[i];
                counts[a]++;
                int off = a * d;
                int xo = i * d;
                for (int j = 0; j < d; j++) {
                    sums[off + j] += xs[xo + j];
                }
            }
            reseeded += reseedEmpty(counts, sums, xs, dist, assign, d);
            double shift = 0;
            for (int k = 0; k < clusters; k++) {
                for (int j = 0; j < d; j++) {
                    float v = (float) (sums[k * d + j] / counts[k]);
                    double t = v - centres[k * d + j];
                    shift += t * t;
                    centres[k * d + j] = v;
                }
            }
            if (shift <= absTol) {
                c.data().asNioFloat().put(0, centres, 0, clusters * d);
                assignAll(x, c, centres, sq, d, assign, dist);
                converged = true;
                break;
            }
        }
        double inertia = 0;
        for (double v : dist) {
            inertia += v;
        }
        return new Result(assign, inertia, iterations, converged, reseeded, new double[0], (t1 - t0) / 1e6,
                (System.nanoTime() - t1) / 1e6);
    }

    /** Re-seeds each empty cluster with the point farthest from its centre; returns how many. */
    private int reseedEmpty(int[] counts, double[] sums, float[] xs, double[] dist, int[] assign, int d) {
        int empty = 0;
        for (int k = 0; k < clusters; k++) {
            if (counts[k] == 0) {
                empty++;
            }
        }
        if (empty == 0) {
            return 0;
        }
        Integer[] order = new Integer[dist.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int cmp = Double.compare(dist[b], dist[a]);
            return cmp != 0 ? cmp : Integer.compare(a, b);
        });
        int next = 0;
        for (int k = 0; k < clusters; k++) {
            if (counts[k] != 0) {
                continue;
            }
            int p;
            do {
                p = order[next++];
            } while (counts[assign[p]] <= 1); // never empty the donor cluster
            int from = assign[p];
            counts[from]--;
            for (int j = 0; j < d; j++) {
                sums[from * d + j] -= xs[p * d + j];
                sums[k * d + j] = xs[p * d + j];
            }
            counts[k] = 1;
            assign[p] = k;
            dist[p] = 0;
        }
        return empty;
    }

    /**
     * Assigns every point to its nearest centre; fills {@code dist} with squared distances.
     *
     * @return whether any assignment changed
     */
    private boolean assignAll(INDArray x, INDArray c, float[] centres, double[] sq, int d, int[] assign, double[] dist) {
        float[] halfNorm = new float[clusters];
        double[] cNorm = new double[clusters];
        for (int k = 0; k < clusters; k++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                double v = centres[k * d + j];
                s += v * v;
            }
            cNorm[k] = s;
            halfNorm[k] = (float) (s / 2);
        }
        // as the neighbour search: panels of blockSize / 2 points over one worker per core, each computing its
        // own blockSize-column tiles with single-threaded BLAS and scanning them right after (BlockedGemm.parallel);
        // workers write disjoint points of assign and dist, read after the workers are joined
        int panelRows = Math.max(1, blockSize / 2);
        int tileColumns = Math.min(blockSize, clusters);
        java.util.concurrent.atomic.AtomicBoolean changed = new java.util.concurrent.atomic.AtomicBoolean();
        BlockedGemm.parallel(x, c, panelRows, tileColumns, Runtime.getRuntime().availableProcessors(), w -> new BlockedGemm.PanelWorker() {
            private final float[] bestScore = new float[panelRows];
            private final int[] bestIndex = new int[panelRows];
            private final float[] row = new float[tileColumns];

            @Override
            public void startPanel(int row0, int rows) {
                Arrays.fill(bestScore, Float.NEGATIVE_INFINITY);
                Arrays.fill(bestIndex, -1);
            }

            @Override
            public void accept(int r0, int c0, int nr, int nc, FloatBuffer tile) {
                for (int i = 0; i < nr; i++) {
                    tile.get(i * nc, row, 0, nc);
                    float best = bestScore[i];
                    int bi = bestIndex[i];
                    for (int j = 0; j < nc; j++) {
                        float s = row[j] - halfNorm[c0 + j];
                        if (s > best) {
                            best = s;
                            bi = c0 + j;
                        }
                    }
                    bestScore[i] = best;
                    bestIndex[i] = bi;
                }
            }

            @Override
            public void endPanel(int row0, int rows) {
                for (int i = 0; i < rows; i++) {
                    int p = row0 + i;
                    if (assign[p] != bestIndex[i]) {
                        changed.set(true);
                        assign[p] = bestIndex[i];
                    }
                    dist[p] = Math.max(0, sq[p] - 2 * ((double) bestScore[i] + halfNorm[bestIndex[i]]) + cNorm[bestIndex[i]]);
                }
            }
        });
        return changed.get();
    }

    /** Centres applied to the distances in one GEMM pass during seeding (see the class comment). */
    private static final int SEED_BATCH = 64;

    /** Rejections of one draw after which pending centres are applied before drawing again. */
    private static final int SEED_MAX_TRIALS = 8;

    /** The k-means++ picks alone, in order (package-private, for testing the seeding distribution). */
    int[] seedIndices(INDArray points, long seedValue) {
        INDArray x = Embeddings.checkedFloatMatrix(points, "points");
        int n = (int) x.size(0);
        int d = (int) x.size(1);
        float[] xs = new float[n * d];
        x.data().asNioFloat().get(0, xs, 0, n * d);
        double[] sq = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                sq[i] += (double) xs[i * d + j] * xs[i * d + j];
            }
        }
        int[] picks = new int[clusters];
        seedPlusPlus(x, xs, sq, n, d, new SplittableRandom(seedValue), picks);
        return picks;
    }

    private float[] seedPlusPlus(INDArray x, float[] xs, double[] sq, int n, int d, SplittableRandom rnd) {
        return seedPlusPlus(x, xs, sq, n, d, rnd, new int[clusters]);
    }

    private float[] seedPlusPlus(INDArray x, float[] xs, double[] sq, int n, int d, SplittableRandom rnd, int[] picks) {
        float[] centres = new float[clusters * d];
        boolean[] chosen = new boolean[n];
        double[] minD = new double[n];
        Arrays.fill(minD, Double.POSITIVE_INFINITY);
        double[] prefix = new double[n];
        int[] pending = new int[SEED_BATCH];
        INDArray batch = Nd4j.create(DataType.FLOAT, SEED_BATCH, d);
        FloatBuffer batchView = batch.data().asNioFloat();
        BlockedGemm gemm = new BlockedGemm(Math.min(blockSize, n), SEED_BATCH);
        Seeding st = new Seeding();
        int pick = rnd.nextInt(n);
        for (int k = 0; k < clusters; k++) {
            chosen[pick] = true;
            picks[k] = pick;
            System.arraycopy(xs, pick * d, centres, k * d, d);
            pending[st.pending++] = pick;
            if (k == clusters - 1) {
                break;
            }
            if (st.pending == SEED_BATCH || k == 0) {
                flush(x, xs, sq, d, minD, chosen, prefix, pending, batch, batchView, gemm, st);
            }
            pick = -1;
            int trials = 0;
            while (pick < 0) {
                if (st.total <= 0) {
                    if (st.pending > 0) {
                        flush(x, xs, sq, d, minD, chosen, prefix, pending, batch, batchView, gemm, st);
                        continue;
                    }
                    pick = uniformUnchosen(chosen, n - (k + 1), rnd);
                    break;
                }
                int i = upperBound(prefix, rnd.nextDouble() * st.total);
                double exact = minD[i];
                for (int p = 0; p < st.pending && exact > 0; p++) {
                    exact = Math.min(exact, squaredDistance(xs, i, pending[p], d));
                }
                if (exact > 0 && rnd.nextDouble() * minD[i] < exact) {
                    pick = i;
                } else if (++trials >= SEED_MAX_TRIALS && st.pending > 0) {
                    flush(x, xs, sq, d, minD, chosen, prefix, pending, batch, batchView, gemm, st);
                    trials = 0;
                }
            }
        }
        return centres;
    }

    /** Mutable seeding state shared with {@link #flush}. */
    private static final class Seeding {
        int pending;
        double total;
    }

    /** Applies the pending centres to {@code minD} with one blocked GEMM and rebuilds the prefix sums. */
    private static void flush(INDArray x, float[] xs, double[] sq, int d, double[] minD, boolean[] chosen, double[] prefix,
                              int[] pending, INDArray batch, FloatBuffer batchView, BlockedGemm gemm, Seeding st) {
        int m = st.pending;
        double[] cNorm = new double[m];
        for (int p = 0; p < m; p++) {
            batchView.put(p * d, xs, pending[p] * d, d);
            cNorm[p] = sq[pending[p]];
        }
        INDArray b = m == batch.size(0) ? batch
                : batch.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, m), org.nd4j.linalg.indexing.NDArrayIndex.all());
        int threads = Runtime.getRuntime().availableProcessors();
        gemm.all(x, b, (r0, c0, rows, cols, tile) -> IntStream.range(0, threads).parallel().forEach(part -> {
            float[] row = new float[cols];
            for (int i = rows * part / threads; i < rows * (part + 1) / threads; i++) {
                tile.get(i * cols, row, 0, cols);
                int p = r0 + i;
                double best = minD[p];
                for (int j = 0; j < cols; j++) {
                    best = Math.min(best, Math.max(0, sq[p] + cNorm[c0 + j] - 2.0 * row[j]));
                }
                minD[p] = best;
            }
        }));
        double total = 0;
        for (int i = 0; i < minD.length; i++) {
            if (chosen[i]) {
                minD[i] = 0;
            }
            total += minD[i];
            prefix[i] = total;
        }
        st.total = total;
        st.pending = 0;
    }

    private static double squaredDistance(float[] xs, int a, int b, int d) {
        double s = 0;
        for (int t = 0; t < d; t++) {
            double v = (double) xs[a * d + t] - xs[b * d + t];
            s += v * v;
        }
        return s;
    }

    /** @return the first index whose prefix sum exceeds {@code u} (the last index if rounding leaves none) */
    private static int upperBound(double[] prefix, double u) {
        int lo = 0;
        int hi = prefix.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (prefix[mid] > u) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    private static int uniformUnchosen(boolean[] chosen, int remaining, SplittableRandom rnd) {
        int r = rnd.nextInt(remaining);
        for (int i = 0; i < chosen.length; i++) {
            if (!chosen[i] && r-- == 0) {
                return i;
            }
        }
        throw new IllegalStateException("no unchosen point left");
    }

    /** Builder; {@link #clusters(int)} is required. */
    public static final class Builder {
        private int clusters = -1;
        private int maxIterations = 50;
        private double tolerance = 1e-4;
        private int restarts = 1;
        private long seed = 0;
        private int blockSize = ExactNeighbours.DEFAULT_BLOCK_SIZE;

        private Builder() {
        }

        /** @param v number of clusters, at least 1 (required) @return this */
        public Builder clusters(int v) {
            clusters = v;
            return this;
        }

        /** @param v maximum Lloyd iterations per restart, at least 1 (default 50) @return this */
        public Builder maxIterations(int v) {
            maxIterations = v;
            return this;
        }

        /** @param v relative tolerance on the centre shift, finite and >= 0 (default 1e-4) @return this */
        public Builder tolerance(double v) {
            tolerance = v;
            return this;
        }

        /** @param v independent seedings, best inertia kept, at least 1 (default 1) @return this */
        public Builder restarts(int v) {
            restarts = v;
            return this;
        }

        /** @param v random seed (default 0) @return this */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /**
         * @param v centres per assignment tile, with half as many points per tile (one tile per core at a time);
         *        points per seeding tile; at least 1 (default {@link ExactNeighbours#DEFAULT_BLOCK_SIZE})
         * @return this
         */
        public Builder blockSize(int v) {
            blockSize = v;
            return this;
        }

        /** @return the validated k-means */
        public KMeans build() {
            if (clusters < 1) {
                throw new IllegalArgumentException("clusters must be >= 1, found " + clusters
                        + (clusters == -1 ? " (not set: call clusters(k))" : ""));
            }
            if (maxIterations < 1) {
                throw new IllegalArgumentException("maxIterations must be >= 1, found " + maxIterations);
            }
            if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
                throw new IllegalArgumentException("tolerance must be finite and >= 0, found " + tolerance);
            }
            if (restarts < 1) {
                throw new IllegalArgumentException("restarts must be >= 1, found " + restarts);
            }
            if (blockSize < 1) {
                throw new IllegalArgumentException("blockSize must be >= 1, found " + blockSize);
            }
            return new KMeans(this);
        }
    }
}
