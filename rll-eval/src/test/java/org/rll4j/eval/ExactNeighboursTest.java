package org.rll4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ExactNeighboursTest {

    /** Values in {-1, -1/2, 0, 1/2, 1}: every product and sum is exact in float, so ties are exact too. */
    private static float[][] grid(long seed, int n, int d) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] x = new float[n][d];
        for (int i = 0; i < n; i++) {
            if (i > 0 && r.nextInt(5) == 0) {
                x[i] = x[r.nextInt(i)].clone(); // duplicates
                continue;
            }
            for (int j = 0; j < d; j++) {
                x[i][j] = (r.nextInt(5) - 2) / 2f;
            }
        }
        return x;
    }

    /** Brute force in double: all gallery indices sorted by decreasing inner product, then index. */
    private static int[] naiveOrder(float[] q, float[][] g, int self) {
        List<Integer> idx = new ArrayList<>();
        double[] sim = new double[g.length];
        for (int j = 0; j < g.length; j++) {
            for (int t = 0; t < q.length; t++) {
                sim[j] += (double) q[t] * g[j][t];
            }
            if (j != self) {
                idx.add(j);
            }
        }
        idx.sort((a, b) -> sim[a] != sim[b] ? Double.compare(sim[b], sim[a]) : Integer.compare(a, b));
        return idx.stream().mapToInt(Integer::intValue).toArray();
    }

    @ParameterizedTest
    @ValueSource(ints = {7, 50, 156, 157, 1000})
    void blockedSearchWithinEqualsBruteForceWithTiesAndDuplicates(int blockSize) {
        float[][] x = grid(11, 157, 6);
        for (int k : new int[] {1, 10, 156}) {
            ExactNeighbours.Result r = ExactNeighbours.of(k, blockSize).searchWithin(Nd4j.createFromArray(x));
            for (int q = 0; q < x.length; q++) {
                int[] expected = java.util.Arrays.copyOf(naiveOrder(x[q], x, q), k);
                assertArrayEquals(expected, r.indices(q), "block " + blockSize + ", k " + k + ", query " + q);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 32, 99, 100, 4096})
    void blockedSearchBetweenEqualsBruteForce(int blockSize) {
        float[][] q = grid(3, 41, 6);
        float[][] g = grid(4, 100, 6);
        int k = 25;
        ExactNeighbours.Result r = ExactNeighbours.of(k, blockSize).searchBetween(Nd4j.createFromArray(q), Nd4j.createFromArray(g));
        for (int i = 0; i < q.length; i++) {
            assertArrayEquals(java.util.Arrays.copyOf(naiveOrder(q[i], g, -1), k), r.indices(i), "query " + i);
        }
    }

    @Test
    void continuousDataMatchesBruteForceSimilaritiesAtEveryRank() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[][] x = new float[300][16];
        for (float[] row : x) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) rnd.nextGaussian();
            }
        }
        int k = 40;
        for (int block : new int[] {13, 64, 300}) {
            ExactNeighbours.Result r = ExactNeighbours.of(k, block).searchWithin(Nd4j.createFromArray(x));
            for (int q = 0; q < x.length; q++) {
                int[] order = naiveOrder(x[q], x, q);
                for (int rank = 0; rank < k; rank++) {
                    double expected = dot(x[q], x[order[rank]]);
                    int got = r.index(q, rank);
                    assertTrue(got != q, "the query itself must be excluded");
                    // the neighbour at each rank has the true rank-th similarity (up to float rounding)
                    assertEquals(expected, dot(x[q], x[got]), 1e-4, "block " + block + " query " + q + " rank " + rank);
                    assertEquals(dot(x[q], x[got]), r.similarity(q, rank), 1e-4);
                }
            }
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    @Test
    void queryIsExcludedButItsDuplicateIsNot() {
        float[][] x = {{1, 0}, {1, 0}, {0, 1}};
        ExactNeighbours.Result r = ExactNeighbours.of(2, 2).searchWithin(Nd4j.createFromArray(x));
        assertArrayEquals(new int[] {1, 2}, r.indices(0));
        assertArrayEquals(new int[] {0, 2}, r.indices(1));
        assertArrayEquals(new int[] {0, 1}, r.indices(2)); // tie at 0: smaller index first
    }

    @Test
    void doubleInputIsRankedInFloat() {
        INDArray x = Nd4j.createFromArray(new double[][] {{1, 0}, {0.6, 0.8}, {-1, 0}});
        ExactNeighbours.Result r = ExactNeighbours.of(1, 8).searchWithin(x);
        assertArrayEquals(new int[] {1}, r.indices(0));
        assertEquals(0.6f, r.similarity(0, 0), 1e-7);
    }

    @Test
    void kLargerThanTheGalleryIsRejected() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 5, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExactNeighbours.of(5, 16).searchWithin(x));
        assertTrue(e.getMessage().contains("at most") && e.getMessage().contains("(4"), e.getMessage());
    }

    @Test
    void nonFiniteValueIsNamedByRowAndColumn() {
        float[][] x = {{1, 0}, {0, 1}, {0, Float.POSITIVE_INFINITY}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExactNeighbours.of(1, 16).searchWithin(Nd4j.createFromArray(x)));
        assertTrue(e.getMessage().contains("row 2, column 1"), e.getMessage());
    }

    @Test
    void blocksReachTheListenerInQueryOrderFromParallelWorkersAndBlasThreadsAreRestored() {
        float[][] x = grid(21, 1000, 6);
        INDArray items = Nd4j.createFromArray(x);
        int blasThreads = Nd4j.factory().blas().getMaxThreads();
        ExactNeighbours search = ExactNeighbours.of(3, 16); // 8 query rows per tile: 125 panels over the workers
        List<Integer> firsts = new ArrayList<>();
        List<Integer> got = new ArrayList<>();
        search.searchWithin(items, (first, n, k, idx, sims) -> {
            firsts.add(first);
            for (int i = 0; i < n * k; i++) {
                got.add(idx[i]);
            }
        });
        for (int b = 0; b < firsts.size(); b++) {
            assertEquals(8 * b, firsts.get(b), "block " + b);
        }
        assertEquals(125, firsts.size());
        ExactNeighbours.Result r = search.searchWithin(items);
        for (int q = 0; q < 1000; q++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(r.index(q, j), got.get(q * 3 + j));
            }
        }
        assertEquals(blasThreads, Nd4j.factory().blas().getMaxThreads(), "BLAS thread count restored");
    }

    @Test
    void aListenerExceptionStopsTheSearchAndReachesTheCaller() {
        INDArray items = Nd4j.createFromArray(grid(22, 400, 5));
        int blasThreads = Nd4j.factory().blas().getMaxThreads();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ExactNeighbours.of(2, 8).searchWithin(items,
                (first, n, k, idx, sims) -> {
                    if (first >= 40) {
                        throw new IllegalStateException("listener failed at " + first);
                    }
                }));
        assertEquals("listener failed at 40", e.getMessage());
        assertEquals(blasThreads, Nd4j.factory().blas().getMaxThreads(), "BLAS thread count restored");
    }

    @Test
    void perQueryNeighbourCountsKeepEachQuerysPrefixAndPadTheRest() {
        float[][] x = grid(23, 157, 6);
        INDArray items = Nd4j.createFromArray(x);
        int k = 12;
        int[] wanted = new int[x.length];
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < wanted.length; i++) {
            wanted[i] = r.nextInt(k + 1); // 0 (keep nothing) to k
        }
        for (int blockSize : new int[] {7, 64, 1000}) {
            int[] seen = new int[x.length];
            ExactNeighbours.observe(items, items, true, k, wanted, blockSize, (first, n, kk, idx, sims) -> {
                assertEquals(k, kk);
                for (int i = 0; i < n; i++) {
                    int q = first + i;
                    seen[q]++;
                    int[] expected = naiveOrder(x[q], x, q);
                    for (int j = 0; j < k; j++) {
                        if (j < wanted[q]) {
                            assertEquals(expected[j], idx[i * k + j], "block " + blockSize + ", query " + q + ", rank " + j);
                        } else {
                            assertEquals(-1, idx[i * k + j], "empty slot, query " + q + ", rank " + j);
                            assertTrue(Float.isNaN(sims[i * k + j]));
                        }
                    }
                }
            }, null);
            for (int q = 0; q < x.length; q++) {
                assertEquals(1, seen[q], "query " + q + " reported once");
            }
        }
        int[] tooMany = wanted.clone();
        tooMany[5] = k + 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExactNeighbours.observe(items, items, true, k, tooMany, 64, (first, n, kk, idx, sims) -> { }, null));
        assertEquals("neighbours of query 5 must be in [0, 12], found 13", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ExactNeighbours.observe(items, items, true, k, new int[3], 64, (first, n, kk, idx, sims) -> { }, null));
    }

    @Test
    void largeKLowersTheQueryRowsPerTile() {
        assertEquals(512, ExactNeighbours.of(15, 1024).queryRowsPerTile()); // the default: a 2 MB tile
        assertEquals(2048, ExactNeighbours.of(1000, 4096).queryRowsPerTile());
        assertEquals(1048, ExactNeighbours.of(4000, 4096).queryRowsPerTile());
        assertEquals(419, ExactNeighbours.of(10_000, 4096).queryRowsPerTile());
        assertEquals(1, ExactNeighbours.of(100, 2).queryRowsPerTile());
    }

    @Test
    void topKResetTakesAnyKUpToItsCapacityAndZeroKeepsNothing() {
        TopK top = new TopK(3);
        top.reset(0);
        assertEquals(Float.POSITIVE_INFINITY, top.threshold());
        top.offer(new float[] {0.5f, Float.MAX_VALUE}, 0, 2, 0);
        assertEquals(0, top.size());
        top.reset(2);
        top.offer(new float[] {0.1f, 0.7f, 0.3f, 0.7f}, 0, 4, 10);
        int[] idx = new int[2];
        float[] sim = new float[2];
        assertEquals(2, top.drainSorted(idx, sim, 0));
        assertArrayEquals(new int[] {11, 13}, idx);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> top.reset(4));
        assertEquals("k must be in [0, 3], found 4", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> top.reset(-1));
    }

    @Test
    void topKKeysOrderBySimilarityThenSmallerIndex() {
        assertTrue(TopK.key(0.5f, 3) > TopK.key(0.25f, 1));
        assertTrue(TopK.key(-0.25f, 3) > TopK.key(-0.5f, 1));
        assertTrue(TopK.key(0.5f, 1) > TopK.key(0.5f, 2));
        assertEquals(TopK.key(0.0f, 4), TopK.key(-0.0f, 4));
        assertTrue(TopK.key(Float.NEGATIVE_INFINITY, 0) < TopK.key(-Float.MAX_VALUE, Integer.MAX_VALUE));
        for (float v : new float[] {-3.5f, -0.0f, 0f, 1e-30f, 2.25f}) {
            assertEquals(v + 0f, TopK.similarity(TopK.key(v, 77)));
            assertEquals(77, TopK.index(TopK.key(v, 77)));
        }
    }
}
