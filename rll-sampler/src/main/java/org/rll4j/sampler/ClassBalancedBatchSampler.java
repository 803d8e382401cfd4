package org.rll4j.sampler;

import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Class-balanced batches of {@code C} classes x {@code K} examples (the Ranked List Loss paper uses
 * K = 3 and C = 20..60). It returns example indices only; an iterator turns them into data
 * ({@link ClassBalancedDataSetIterator} gathers in-memory arrays, rll-data's {@code SampledDataSetIterator}
 * decodes and augments images).
 *
 * <h2>Epoch definition</h2>
 * An epoch shows about as many examples as the eligible classes hold, as users count epochs:
 * {@code max(P, floor(#examples of eligible classes / (C x K)))} batches, where {@code P =
 * floor(#eligible classes / C)} is the length of one <em>pass</em> over the classes. A pass visits
 * every eligible class exactly once: the eligible classes are shuffled (seeded by {@code seed} and the
 * pass number) and cut into consecutive groups of {@code C}; each group is one batch. The last
 * {@code (#classes mod C)} classes of the shuffled order are dropped for that pass (a different set
 * each pass), so every batch has exactly {@code C x K} examples. Batch {@code b} lists its classes in
 * the shuffled order, each class's {@code K} examples together. Epoch {@code e} is passes
 * {@code e * Q, e * Q + 1, ...} ({@code Q = ceil(batches per epoch / P)}) cut to its length: with
 * many examples per class (Fashion-MNIST: 5 training classes, 30,000 images) an epoch is many passes;
 * when every class has about K examples (the emoji set) an epoch is one pass.
 *
 * <h2>Behaviour in corner cases</h2>
 * <ul>
 *   <li>Within a class, the {@code K} examples are drawn without replacement.</li>
 *   <li>A class with fewer than {@code K} examples (but at least 2) uses all of them once and fills
 *       the rest by drawing its examples again, with replacement; the repeated examples give
 *       distinct views only when the pipeline augments randomly.</li>
 *   <li>A class with a single example is not eligible (it has no positive pair); such classes are
 *       counted in {@link #ineligibleClasses()}.</li>
 *   <li>The same seed and epoch always give the same batches; different seeds give different ones.</li>
 * </ul>
 * Invalid settings ({@code K < 2}, {@code C < 2}, {@code C} larger than the number of eligible
 * classes) throw an {@link IllegalArgumentException} naming the value.
 */
public final class ClassBalancedBatchSampler implements BatchSampler {

    private final LabelIndex labels;
    private final int classesPerBatch;
    private final int samplesPerClass;
    private final long seed;
    private final int[] eligible;
    private final long eligibleExamples;

    private ClassBalancedBatchSampler(Builder b) {
        this.labels = Objects.requireNonNull(b.labels, "labels must be set");
        this.classesPerBatch = b.classesPerBatch;
        this.samplesPerClass = b.samplesPerClass;
        this.seed = b.seed;
        if (samplesPerClass < 2) {
            throw new IllegalArgumentException("samplesPerClass (K) must be >= 2 for the Ranked List Loss (a query needs "
                    + "a positive), found " + samplesPerClass);
        }
        if (classesPerBatch < 2) {
            throw new IllegalArgumentException("classesPerBatch (C) must be >= 2 (a query needs negatives), found "
                    + classesPerBatch);
        }
        this.eligible = labels.classesWithAtLeast(2);
        if (classesPerBatch > eligible.length) {
            int ineligible = labels.numClasses() - eligible.length;
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "classesPerBatch (C) must be <= the number of classes with at least 2 examples (%d of %d classes), "
                            + "found %d; lower classesPerBatch%s", eligible.length, labels.numClasses(), classesPerBatch,
                    ineligible == 0 ? "" : String.format(Locale.ROOT, ", or give 2 or more examples to more classes "
                            + "(%d have fewer: no positive pair, never drawn)", ineligible)));
        }
        long n = 0;
        for (int c : eligible) {
            n += labels.examplesOf(c).length;
        }
        this.eligibleExamples = n;
    }

    /** A builder; labels, C and K are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Batch size {@code C x K}. */
    @Override
    public int batchSize() {
        return classesPerBatch * samplesPerClass;
    }

    /** Classes per batch, C. */
    public int classesPerBatch() {
        return classesPerBatch;
    }

    /** Examples per class, K. */
    public int samplesPerClass() {
        return samplesPerClass;
    }

    /**
     * Batches in every epoch: {@code max(P, floor(#examples of eligible classes / (C x K)))}, with
     * {@code P = floor(#eligible classes / C)} the batches of one pass over the classes.
     */
    public int batchesPerEpoch() {
        return Math.max(batchesPerPass(), (int) Math.min(Integer.MAX_VALUE, eligibleExamples / batchSize()));
    }

    /** Batches of one pass over the classes (each eligible class once): {@code floor(#eligible classes / C)}. */
    public int batchesPerPass() {
        return eligible.length / classesPerBatch;
    }

    /** Number of classes left out because they have fewer than 2 examples. */
    public int ineligibleClasses() {
        return labels.numClasses() - eligible.length;
    }

    /** The label index sampled from. */
    public LabelIndex labels() {
        return labels;
    }

    /**
     * The batches of one epoch.
     *
     * @param epoch epoch number (0, 1, ...); with the seed it determines the batches
     * @return {@link #batchesPerEpoch()} arrays of {@link #batchSize()} example indices
     */
    @Override
    public int[][] epoch(long epoch) {
        int perPass = batchesPerPass();
        int[][] batches = new int[batchesPerEpoch()][];
        long passesPerEpoch = (batches.length + perPass - 1) / perPass;
        for (int b = 0; b < batches.length; b += perPass) {
            int[][] pass = pass(epoch * passesPerEpoch + b / perPass);
            System.arraycopy(pass, 0, batches, b, Math.min(perPass, batches.length - b));
        }
        return batches;
    }

    /** The batches of one pass over the classes. */
    private int[][] pass(long pass) {
        SplittableRandom rnd = new SplittableRandom(mix(seed, pass));
        int[] order = eligible.clone();
        shuffle(order, order.length, rnd);
        int[][] batches = new int[batchesPerPass()][];
        for (int b = 0; b < batches.length; b++) {
            int[] batch = new int[batchSize()];
            for (int c = 0; c < classesPerBatch; c++) {
                int[] members = labels.examplesOf(order[b * classesPerBatch + c]);
                draw(members, batch, c * samplesPerClass, rnd);
            }
            batches[b] = batch;
        }
        return batches;
    }

    /** K examples of one class into {@code out[from..from+K)}: without replacement, then with. */
    private void draw(int[] members, int[] out, int from, SplittableRandom rnd) {
        int distinct = Math.min(samplesPerClass, members.length);
        shuffle(members, distinct, rnd); // partial Fisher-Yates: the first `distinct` are a random subset
        System.arraycopy(members, 0, out, from, distinct);
        for (int k = distinct; k < samplesPerClass; k++) {
            out[from + k] = members[rnd.nextInt(members.length)];
        }
    }

    /** Fisher-Yates on the first {@code n} positions (a uniformly random prefix of length n). */
    private static void shuffle(int[] a, int n, SplittableRandom rnd) {
        for (int i = 0; i < n; i++) {
            int j = i + rnd.nextInt(a.length - i);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static long mix(long seed, long epoch) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ClassBalancedBatchSampler{C=%d, K=%d, seed=%d, %d batches/epoch, %d classes ineligible}",
                classesPerBatch, samplesPerClass, seed, batchesPerEpoch(), ineligibleClasses());
    }

    /** Validating builder. */
    public static final class Builder {
        private LabelIndex labels;
        private int classesPerBatch;
        private int samplesPerClass;
        private long seed;

        private Builder() {
        }

        /** The examples' classes (required). */
        public Builder labels(LabelIndex labels) {
            this.labels = labels;
            return this;
        }

        /** C, classes per batch, {@code >= 2} (required). */
        public Builder classesPerBatch(int c) {
            this.classesPerBatch = c;
            return this;
        }

        /** K, examples per class, {@code >= 2} (required; the paper uses 3). */
        public Builder samplesPerClass(int k) {
            this.samplesPerClass = k;
            return this;
        }

        /** Seed of all random choices (default 0). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Validates and builds. */
        public ClassBalancedBatchSampler build() {
            return new ClassBalancedBatchSampler(this);
        }
    }
}
