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
        return quantile(ms, 0.5);
    }

    /**
     * Runs {@code task} and {@code baseline} once per round, in alternating order (the task first in even
     * rounds, the baseline first in odd ones, so that neither always runs in the other's wake), and keeps
     * both times of every round; see {@link PairedTimes} for what is printed from them.
     *
     * @param warmup untimed rounds first
     * @param rounds timed rounds
     */
    static PairedTimes paired(int warmup, int rounds, Runnable task, Runnable baseline) {
        for (int i = 0; i < warmup; i++) {
            task.run();
            baseline.run();
        }
        double[] a = new double[rounds];
        double[] b = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            boolean taskFirst = i % 2 == 0;
            long t0 = System.nanoTime();
            (taskFirst ? task : baseline).run();
            long t1 = System.nanoTime();
            (taskFirst ? baseline : task).run();
            long t2 = System.nanoTime();
            a[i] = (taskFirst ? t1 - t0 : t2 - t1) / 1e6;
            b[i] = (taskFirst ? t2 - t1 : t1 - t0) / 1e6;
        }
        return new PairedTimes(a, b);
    }

    /**
     * The {@code p}-quantile of {@code values}, interpolating linearly between order statistics: with the
     * sorted values {@code v_0..v_{n-1}} and {@code h = (n - 1) p}, {@code v_floor(h) + (h - floor(h))
     * (v_floor(h)+1 - v_floor(h))} (Hyndman and Fan's type 7, the default of R and NumPy).
     */
    static double quantile(double[] values, double p) {
        double[] v = values.clone();
        Arrays.sort(v);
        double h = (v.length - 1) * p;
        int lo = (int) Math.floor(h);
        return lo + 1 < v.length ? v[lo] + (h - lo) * (v[lo + 1] - v[lo]) : v[lo];
    }
}
