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
        Arrays.sort(ms);
        return runs % 2 == 1 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
    }
}
