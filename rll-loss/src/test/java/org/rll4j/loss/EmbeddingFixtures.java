package org.rll4j.loss;

import java.util.SplittableRandom;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeded random embedding batches for loss tests: class centres on the sphere plus Gaussian noise,
 * so that both violating positives and violating negatives occur at the paper's boundaries.
 * Shared through the rll-loss test-jar.
 */
public final class EmbeddingFixtures {

    /** A batch: raw embeddings {@code x[B][D]} and class ids {@code labels[B]}. */
    public record Batch(double[][] x, long[] labels) {

        /** Embeddings as an ND4J array of the given type. */
        public INDArray features(DataType dataType) {
            return Nd4j.createFromArray(x).castTo(dataType);
        }

        /** Class ids as a {@code [B, 1]} column of the given type. */
        public INDArray labelColumn(DataType dataType) {
            return Nd4j.createFromArray(labels).castTo(dataType).reshape(-1, 1);
        }

        /** One-hot labels {@code [B, numClasses]} of the given type. */
        public INDArray oneHot(int numClasses, DataType dataType) {
            INDArray out = Nd4j.zeros(dataType, labels.length, numClasses);
            for (int i = 0; i < labels.length; i++) {
                out.putScalar(i, (int) labels[i], 1.0);
            }
            return out;
        }

        /** The same batch with every coordinate rounded to float (what a FLOAT network sees). */
        public Batch roundedToFloat() {
            double[][] r = new double[x.length][];
            for (int i = 0; i < x.length; i++) {
                r[i] = new double[x[i].length];
                for (int k = 0; k < x[i].length; k++) {
                    r[i][k] = (float) x[i][k];
                }
            }
            return new Batch(r, labels.clone());
        }

        /**
         * The same batch with row {@code target} replaced by a near copy of row {@code source}, of class
         * {@code label}: {@code x_t = scale (x_s + distance ||x_s|| u)} with {@code u} a seeded random unit
         * vector orthogonal to {@code x_s}, so that the normalised rows lie {@code distance / sqrt(1 + distance^2)}
         * apart.
         */
        public Batch withNearCopy(int target, int source, long label, double distance, double scale, long seed) {
            SplittableRandom rnd = new SplittableRandom(seed);
            double[] xs = x[source];
            int dim = xs.length;
            double[] u = new double[dim];
            double dot = 0;
            double sq = 0;
            for (int k = 0; k < dim; k++) {
                u[k] = gaussian(rnd);
                dot += u[k] * xs[k];
                sq += xs[k] * xs[k];
            }
            double un = 0;
            for (int k = 0; k < dim; k++) {
                u[k] -= dot / sq * xs[k];
                un += u[k] * u[k];
            }
            double step = distance * Math.sqrt(sq / un);
            double[][] out = new double[x.length][];
            for (int i = 0; i < x.length; i++) {
                out[i] = x[i].clone();
            }
            for (int k = 0; k < dim; k++) {
                out[target][k] = scale * (xs[k] + step * u[k]);
            }
            long[] outLabels = labels.clone();
            outLabels[target] = label;
            return new Batch(out, outLabels);
        }
    }

    private EmbeddingFixtures() {
    }

    /** {@code classes x perClass} examples, class ids 0..classes-1, grouped by class. */
    public static Batch balanced(long seed, int classes, int perClass, int dim, double noise) {
        int[] sizes = new int[classes];
        java.util.Arrays.fill(sizes, perClass);
        return withClassSizes(seed, sizes, dim, noise);
    }

    /** Classes of the given sizes (ids 0..n-1), examples shuffled. */
    public static Batch withClassSizes(long seed, int[] classSizes, int dim, double noise) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 0;
        for (int s : classSizes) {
            n += s;
        }
        double[][] centres = new double[classSizes.length][dim];
        for (double[] c : centres) {
            double norm = 0;
            for (int k = 0; k < dim; k++) {
                c[k] = gaussian(rnd);
                norm += c[k] * c[k];
            }
            for (int k = 0; k < dim; k++) {
                c[k] /= Math.sqrt(norm);
            }
        }
        double[][] x = new double[n][dim];
        long[] labels = new long[n];
        int[] order = permutation(rnd, n);
        int at = 0;
        for (int c = 0; c < classSizes.length; c++) {
            for (int s = 0; s < classSizes[c]; s++) {
                int i = order[at++];
                labels[i] = c;
                double scale = 0.5 + rnd.nextDouble() * 2; // raw, un-normalised
                for (int k = 0; k < dim; k++) {
                    x[i][k] = scale * (centres[c][k] + noise * gaussian(rnd));
                }
            }
        }
        return new Batch(x, labels);
    }

    private static int[] permutation(SplittableRandom rnd, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u1 = rnd.nextDouble();
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
