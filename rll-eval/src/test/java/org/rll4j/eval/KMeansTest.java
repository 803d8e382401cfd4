package org.rll4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class KMeansTest {

    /** {@code classes} blobs of {@code perClass} points, centres 10 apart on the axes, noise 0.01. */
    private static float[][] blobs(int classes, int perClass, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] x = new float[classes * perClass][d];
        for (int i = 0; i < x.length; i++) {
            int c = i / perClass;
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) ((j == c % d ? 10 * (1 + c / d) : 0) + 0.01 * r.nextGaussian());
            }
        }
        return x;
    }

    private static int[] truth(int classes, int perClass) {
        int[] y = new int[classes * perClass];
        for (int i = 0; i < y.length; i++) {
            y[i] = i / perClass;
        }
        return y;
    }

    @Test
    void recoversWellSeparatedClustersExactly() {
        for (int block : new int[] {3, 64, 4096}) {
            KMeans.Result r = KMeans.builder().clusters(12).seed(1).blockSize(block).build()
                    .fit(Nd4j.createFromArray(blobs(12, 15, 8, 2)));
            assertEquals(1.0, ClusteringMetrics.nmi(truth(12, 15), r.assignments(), NmiNormalization.ARITHMETIC), 1e-12,
                    "block " + block);
            assertTrue(r.converged());
            assertTrue(r.inertia() < 180 * 8 * 1e-4 * 2, "inertia " + r.inertia());
        }
    }

    @Test
    void sameSeedSameResult() {
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 300, 5);
        KMeans km = KMeans.builder().clusters(20).seed(7).build();
        KMeans.Result a = km.fit(x);
        KMeans.Result b = km.fit(x);
        assertArrayEquals(a.assignments(), b.assignments());
        assertEquals(a.inertia(), b.inertia(), 0);
    }

    @Test
    void moreRestartsNeverIncreaseTheInertia() {
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 400, 4);
        double previous = Double.POSITIVE_INFINITY;
        double[] first = null;
        for (int restarts = 1; restarts <= 4; restarts++) {
            KMeans.Result r = KMeans.builder().clusters(15).seed(3).restarts(restarts).build().fit(x);
            assertTrue(r.inertia() <= previous, restarts + " restarts: " + r.inertia() + " > " + previous);
            double[] all = r.restartInertias();
            assertEquals(restarts, all.length);
            assertEquals(java.util.Arrays.stream(all).min().getAsDouble(), r.inertia(), 0);
            if (first != null) { // restart i does not depend on how many follow
                assertArrayEquals(first, java.util.Arrays.copyOf(all, first.length));
            }
            first = all;
            previous = r.inertia();
        }
    }

    @Test
    void inertiaIsTheSumOfSquaredDistancesToTheClusterMeans() {
        float[][] pts = blobs(4, 10, 3, 9);
        KMeans.Result r = KMeans.builder().clusters(4).seed(0).tolerance(0).build().fit(Nd4j.createFromArray(pts));
        int[] a = r.assignments();
        double expected = 0;
        for (int c = 0; c < 4; c++) {
            double[] mean = new double[3];
            int n = 0;
            for (int i = 0; i < pts.length; i++) {
                if (a[i] == c) {
                    n++;
                    for (int j = 0; j < 3; j++) {
                        mean[j] += pts[i][j];
                    }
                }
            }
            for (int i = 0; i < pts.length; i++) {
                if (a[i] == c) {
                    for (int j = 0; j < 3; j++) {
                        double t = pts[i][j] - mean[j] / n;
                        expected += t * t;
                    }
                }
            }
        }
        assertEquals(expected, r.inertia(), 1e-3 * Math.max(1, expected) + 1e-3);
    }

    @Test
    void duplicatePointsAndMoreClustersThanDistinctPoints() {
        float[][] pts = {{1, 0}, {1, 0}, {1, 0}, {0, 1}, {0, 1}, {0, 1}, {-1, 0}, {-1, 0}};
        KMeans.Result r = KMeans.builder().clusters(5).seed(4).build().fit(Nd4j.createFromArray(pts));
        assertEquals(0.0, r.inertia(), 1e-6);
        int[] a = r.assignments();
        assertEquals(a[0], a[1]);
        assertEquals(a[3], a[4]);
        assertTrue(a[0] != a[3] && a[3] != a[6] && a[0] != a[6]);
    }

    @Test
    void seedingDrawsEachCentreWithProbabilityProportionalToTheSquaredDistance() {
        // points on a line; k = 3 exercises both the applied distances (second pick) and the
        // rejection step against a pending centre (third pick)
        float[] pos = {0, 1, 3, 7, 8};
        float[][] pts = new float[pos.length][];
        for (int i = 0; i < pos.length; i++) {
            pts[i] = new float[] {pos[i], 1};
        }
        int n = pos.length;
        double[][][] exact = new double[n][n][n];
        for (int a = 0; a < n; a++) {
            double za = 0;
            for (int j = 0; j < n; j++) {
                za += sq(pos[a] - pos[j]);
            }
            for (int b = 0; b < n; b++) {
                if (b == a) {
                    continue;
                }
                double zb = 0;
                for (int j = 0; j < n; j++) {
                    zb += Math.min(sq(pos[a] - pos[j]), sq(pos[b] - pos[j]));
                }
                for (int c = 0; c < n; c++) {
                    exact[a][b][c] = (1.0 / n) * (sq(pos[a] - pos[b]) / za)
                            * (Math.min(sq(pos[a] - pos[c]), sq(pos[b] - pos[c])) / zb);
                }
            }
        }
        KMeans km = KMeans.builder().clusters(3).build();
        INDArray x = Nd4j.createFromArray(pts);
        int runs = 3000;
        double[][][] freq = new double[n][n][n];
        for (int s = 0; s < runs; s++) {
            int[] p = km.seedIndices(x, s);
            freq[p[0]][p[1]][p[2]] += 1.0 / runs;
        }
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                for (int c = 0; c < n; c++) {
                    // binomial standard error at most sqrt(0.25 / 3000) = 0.009
                    assertEquals(exact[a][b][c], freq[a][b][c], 0.035, "picks " + a + ", " + b + ", " + c);
                }
            }
        }
    }

    private static double sq(double v) {
        return v * v;
    }

    @Test
    void validation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KMeans.builder().build());
        assertTrue(e.getMessage().contains("not set"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> KMeans.builder().clusters(5).build().fit(Nd4j.createFromArray(new float[][] {{1, 0}, {0, 1}})));
        assertTrue(e.getMessage().contains("at most the number of points (2), found 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KMeans.builder().clusters(2).maxIterations(0).build());
        assertTrue(e.getMessage().contains("maxIterations must be >= 1, found 0"), e.getMessage());
    }
}
