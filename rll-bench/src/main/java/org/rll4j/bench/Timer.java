package org.rll4j.bench;

import java.util.Arrays;

/** Median wall time of a task after warm-up; the machines are shared and noisy, so compare ratios. */
final class Timer {

    private Timer() {
    }

    /**
     * @param warmup untimed calls first
     * @param runs timed calls
     * @param task the call to time
     * @return median milliseconds per call
     */
    static double medianMillis(int warmup, int runs, Runnable task) {
        for (int i = 0; i < warmup; i++) {
            task.run();
        }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            task.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return median(ms);
    }

    /**
     * Runs {@code task} and {@code baseline} alternately and returns the medians of both and of their
     * per-pair difference, which cancels most of a shared, drifting machine's noise.
     *
     * @return {median(task), median(baseline), median(task - baseline)} in milliseconds
     */
    static double[] pairedMillis(int warmup, int runs, Runnable task, Runnable baseline) {
        for (int i = 0; i < warmup; i++) {
            task.run();
            baseline.run();
        }
        double[] a = new double[runs];
        double[] b = new double[runs];
        double[] diff = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            task.run();
            long t1 = System.nanoTime();
            baseline.run();
            long t2 = System.nanoTime();
            a[i] = (t1 - t0) / 1e6;
            b[i] = (t2 - t1) / 1e6;
            diff[i] = a[i] - b[i];
        }
        return new double[] {median(a), median(b), median(diff)};
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
