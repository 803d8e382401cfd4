package org.rll4j.eval;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The rank of each query's first same-class gallery item (1 = nearest), found in the same blocked
 * pass as the top-R lists and without selecting the top max(K) items: Recall@K for every K follows
 * from it ({@link RetrievalMetrics#hitWithinK}), whatever K is (K = 1000 for SOP costs nothing extra).
 *
 * <p>Method: before the pass, each query's best same-class similarity {@code s+} is computed in
 * double from the float vectors. The GEMM's float value of any inner product of two (near) unit
 * vectors of dimension D is within {@code eps = (2D + 16) 2^-24} of it. During the pass the search
 * counts, per query and without looking at classes, the items whose similarity exceeds
 * {@code s+ + eps} (a branch-free count in {@link ExactNeighbours}), and hands over the items within
 * {@code [s+ - eps, s+ + eps]}, which are kept in a short per-query list. After each tile the query's
 * own class members in it (a handful) are looked up in the tile's row and must not lie above the
 * window, so the count holds exactly other-class items. After the pass the first hit is the best same-class item of the list by the GEMM's own
 * values (ties to the smaller index, as everywhere), and the listed items ranked before it are added
 * to the count. The result is exactly the rank in the order the top-k search uses. If a same-class
 * item lies above the window, or none inside it (the error bound violated), the pass throws
 * {@link IllegalStateException} rather than return a wrong rank.
 */
final class FirstHitRanks implements ExactNeighbours.RowObserver {

    private final int[] queryLabels;
    private final int[] galleryLabels;
    private final float[] lo;
    private final float[] hi;
    private final long[] before;
    private final int[] rank;
    /** Gallery indices of each query's class, ascending (arrays shared by the queries of a class). */
    private final int[][] sameClass;
    /** Per query while its block is scanned (null otherwise): the listed items. Blocks run on different threads. */
    private final float[][] candidateSim;
    private final int[][] candidateIndex;
    private final int[] candidates;

    /**
     * @param q queries, checked float matrix
     * @param queryLabels class of each query
     * @param g gallery, checked float matrix (the same object as {@code q} in the one-set protocol)
     * @param galleryLabels class of each gallery item
     * @param sameSet whether the query itself is in the gallery at its own index
     */
    FirstHitRanks(INDArray q, int[] queryLabels, INDArray g, int[] galleryLabels, boolean sameSet) {
        this.queryLabels = queryLabels;
        this.galleryLabels = galleryLabels;
        int nq = queryLabels.length;
        int d = (int) q.size(1);
        lo = new float[nq];
        hi = new float[nq];
        before = new long[nq];
        rank = new int[nq];
        candidateSim = new float[nq][];
        candidateIndex = new int[nq][];
        candidates = new int[nq];
        sameClass = new int[nq][];
        Map<Integer, int[]> members = members(galleryLabels);
        FloatBuffer qb = q.data().asNioFloat();
        FloatBuffer gb = g.data().asNioFloat();
        float[] qr = new float[d];
        float[] gr = new float[d];
        double eps = (2.0 * d + 16) * Math.ulp(1.0f) / 2; // (2D + 16) 2^-24
        for (int i = 0; i < nq; i++) {
            int[] same = members.get(queryLabels[i]);
            sameClass[i] = same == null ? new int[0] : same;
            double best = Double.NEGATIVE_INFINITY;
            if (same != null) {
                qb.get(i * d, qr, 0, d);
                for (int j : same) {
                    if (sameSet && j == i) {
                        continue;
                    }
                    gb.get(j * d, gr, 0, d);
                    double s = 0;
                    for (int t = 0; t < d; t++) {
                        s += (double) qr[t] * gr[t];
                    }
                    best = Math.max(best, s);
                }
            }
            if (best == Double.NEGATIVE_INFINITY) { // lone query: nothing to find
                lo[i] = Float.POSITIVE_INFINITY;
                hi[i] = Float.POSITIVE_INFINITY;
                rank[i] = 0;
            } else {
                lo[i] = Math.nextDown((float) (best - eps));
                hi[i] = Math.nextUp((float) (best + eps));
            }
        }
    }

    /** @return for each query the 1-based rank of its first same-class item, 0 for a lone query */
    int[] ranks() {
        return rank;
    }

    @Override
    public void startBlock(int firstQuery, int queries) {
        for (int q = firstQuery; q < firstQuery + queries; q++) {
            candidateSim[q] = new float[4];
            candidateIndex[q] = new int[4];
            candidates[q] = 0;
        }
    }

    @Override
    public float lower(int query) {
        return lo[query];
    }

    @Override
    public float upper(int query) {
        return hi[query];
    }

    @Override
    public void offer(int query, float v, int index) {
        add(query, v, index);
    }

    /**
     * Adds the tile's count to the query's and, when it is not 0, checks the query's class members in
     * the tile: none may lie above the window, since no same-class similarity exceeds {@code s+} by more
     * than the error bound; one that does would make the count wrong, so it throws. (A lone query has
     * no window, so nothing is counted for it.)
     */
    @Override
    public void rowScanned(int query, int above, float[] row, int col0, int cols) {
        if (above == 0) { // nothing above the window, so none of the query's class either (most rows of most tiles)
            return;
        }
        int[] same = sameClass[query];
        int from = Arrays.binarySearch(same, col0);
        for (int m = from >= 0 ? from : -from - 1; m < same.length && same[m] < col0 + cols; m++) {
            float v = row[same[m] - col0]; // the query itself is -Infinity
            if (v > hi[query]) {
                throw boundViolated(query, v);
            }
        }
        before[query] += above;
    }

    private void add(int query, float v, int index) {
        int c = candidates[query];
        if (c == candidateSim[query].length) {
            candidateSim[query] = Arrays.copyOf(candidateSim[query], 2 * c);
            candidateIndex[query] = Arrays.copyOf(candidateIndex[query], 2 * c);
        }
        candidateSim[query][c] = v;
        candidateIndex[query][c] = index;
        candidates[query] = c + 1;
    }

    @Override
    public void endBlock(int firstQuery, int queries) {
        for (int query = firstQuery; query < firstQuery + queries; query++) {
            float[] sim = candidateSim[query];
            int[] idx = candidateIndex[query];
            int listed = candidates[query];
            candidateSim[query] = null; // only the rank is kept
            candidateIndex[query] = null;
            if (lo[query] == Float.POSITIVE_INFINITY) {
                continue;
            }
            int label = queryLabels[query];
            float bestSim = Float.NEGATIVE_INFINITY;
            int bestIndex = -1;
            for (int c = 0; c < listed; c++) {
                if (galleryLabels[idx[c]] == label
                        && (sim[c] > bestSim || (sim[c] == bestSim && idx[c] < bestIndex))) {
                    bestSim = sim[c];
                    bestIndex = idx[c];
                }
            }
            if (bestIndex < 0) {
                throw boundViolated(query, Float.NaN);
            }
            long r = before[query] + 1;
            for (int c = 0; c < listed; c++) {
                if (sim[c] > bestSim || (sim[c] == bestSim && idx[c] < bestIndex)) {
                    r++;
                }
            }
            rank[query] = (int) r;
        }
    }


    private IllegalStateException boundViolated(int query, float gemmValue) {
        return new IllegalStateException(String.format(Locale.ROOT,
                "query %d: a same-class similarity from the GEMM (%s) is outside the bound [%s, %s] around the best "
                        + "one in double precision; the rank of its first hit cannot be trusted", query,
                Float.isNaN(gemmValue) ? "none in the window" : Float.toString(gemmValue), lo[query], hi[query]));
    }

    private static Map<Integer, int[]> members(int[] labels) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int l : labels) {
            counts.merge(l, 1, Integer::sum);
        }
        Map<Integer, int[]> out = new HashMap<>();
        Map<Integer, Integer> fill = new HashMap<>();
        for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
            out.put(e.getKey(), new int[e.getValue()]);
            fill.put(e.getKey(), 0);
        }
        for (int i = 0; i < labels.length; i++) {
            int f = fill.merge(labels[i], 1, Integer::sum) - 1;
            out.get(labels[i])[f] = i;
        }
        return out;
    }
}
