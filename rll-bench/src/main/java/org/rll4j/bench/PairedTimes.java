package org.rll4j.bench;

import java.util.Locale;

/**
 * Milliseconds of a task and of its baseline taken in the same rounds ({@link Timer#paired}), and the
 * figure a benchmark prints for the task's extra cost. The per-round differences cancel most of a
 * shared machine's drift; their spread says whether the difference was resolved at all:
 * <pre>
 *   diff_r = task_r - baseline_r        m = median(diff)        h = (Q3(diff) - Q1(diff)) / 2
 *   resolved iff m &gt; h                 printed as  "m ±h"
 *   otherwise                           printed as  "&lt; noise (±n)",   n = max(h, |m|)
 * </pre>
 * Quartiles interpolate linearly between order statistics ({@link Timer#quantile}). Unresolved, the
 * difference is smaller than the machine's noise, or the pairs did not cancel the drift (a median
 * below {@code -h}); either way no cost can be claimed, and {@code n} bounds what the rounds can tell.
 *
 * @param task milliseconds of the task, one per round
 * @param baseline milliseconds of the baseline, same rounds
 */
record PairedTimes(double[] task, double[] baseline) {

    PairedTimes {
        if (task.length == 0 || task.length != baseline.length) {
            throw new IllegalArgumentException("need as many task as baseline times, at least one; found "
                    + task.length + " and " + baseline.length);
        }
    }

    double taskMedian() {
        return Timer.quantile(task, 0.5);
    }

    double baselineMedian() {
        return Timer.quantile(baseline, 0.5);
    }

    /** {@code task_r - baseline_r}. */
    double[] differences() {
        double[] d = new double[task.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = task[i] - baseline[i];
        }
        return d;
    }

    /** {@code m}, the median of the per-round differences. */
    double differenceMedian() {
        return Timer.quantile(differences(), 0.5);
    }

    /** {@code h}, half the interquartile range of the per-round differences. */
    double noise() {
        double[] d = differences();
        return (Timer.quantile(d, 0.75) - Timer.quantile(d, 0.25)) / 2;
    }

    /** Whether the median difference exceeds its noise ({@code m > h}, hence {@code m > 0}). */
    boolean resolved() {
        return differenceMedian() > noise();
    }

    /**
     * {@code "r (q1-q3)"}: the median and quartiles of the per-round speed-ups {@code baseline_r / task_r}
     * (how many times faster the task ran than its baseline, round by round).
     */
    String speedup() {
        return quartilesOfRatios(baseline, task, "%.2fx (quartiles %.2f-%.2f)");
    }

    /**
     * {@code "r (q1-q3)"}: the median and quartiles of the per-round ratios {@code task_r / baseline_r} (how many
     * times longer the task took than its baseline, round by round).
     */
    String ratio() {
        return quartilesOfRatios(task, baseline, "%.1fx (%.1f-%.1f)");
    }

    private static String quartilesOfRatios(double[] numerator, double[] denominator, String format) {
        double[] r = new double[numerator.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = numerator[i] / denominator[i];
        }
        return String.format(Locale.ROOT, format, Timer.quantile(r, 0.5), Timer.quantile(r, 0.25), Timer.quantile(r, 0.75));
    }

    /** {@code "m ±h"} when resolved, else {@code "< noise (±n)"}, milliseconds with two decimals. */
    String difference() {
        double m = differenceMedian();
        double h = noise();
        return m > h
                ? String.format(Locale.ROOT, "%.2f ±%.2f", m, h)
                : String.format(Locale.ROOT, "< noise (±%.2f)", Math.max(h, Math.abs(m)));
    }
}
