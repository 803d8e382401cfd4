package org.rll4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The figure printed for a paired difference, from given samples (no timing here). */
class PairedTimesTest {

    @Test
    void quantilesInterpolateBetweenOrderStatistics() {
        double[] v = {4, 1, 3, 2};
        assertEquals(1.75, Timer.quantile(v, 0.25), 1e-15);
        assertEquals(2.5, Timer.quantile(v, 0.5), 1e-15);
        assertEquals(3.25, Timer.quantile(v, 0.75), 1e-15);
        assertEquals(1, Timer.quantile(v, 0), 0);
        assertEquals(4, Timer.quantile(v, 1), 0);
        assertEquals(7, Timer.quantile(new double[] {7}, 0.25), 0);
        assertEquals(List.of(4.0, 1.0, 3.0, 2.0), List.of(v[0], v[1], v[2], v[3]), "the input is not reordered");
    }

    @Test
    void aDifferenceAboveItsSpreadIsPrintedWithTheSpread() {
        // differences 1.5, 1.8, 2.0, 2.2, 2.5: median 2.0, quartiles 1.8 and 2.2
        PairedTimes t = new PairedTimes(new double[] {6.5, 6.8, 7.0, 7.2, 7.5}, new double[] {5, 5, 5, 5, 5});
        assertEquals(7.0, t.taskMedian(), 1e-12);
        assertEquals(5.0, t.baselineMedian(), 0);
        assertEquals(2.0, t.differenceMedian(), 1e-12);
        assertEquals(0.2, t.noise(), 1e-12);
        assertTrue(t.resolved());
        assertEquals("2.00 ±0.20", t.difference());
    }

    @Test
    void aConstantExtraCostUnderDriftHasNoSpread() {
        // each round is 5 ms slower than the last; the task is always 1 ms above its baseline
        double[] task = new double[9];
        double[] baseline = new double[9];
        for (int r = 0; r < 9; r++) {
            baseline[r] = 10 + 5 * r;
            task[r] = baseline[r] + 1;
        }
        PairedTimes t = new PairedTimes(task, baseline);
        assertEquals("1.00 ±0.00", t.difference());
    }

    @Test
    void aDifferenceWithinItsSpreadIsNotPrintedAsACost() {
        // differences -3, -1, 0.5, 2, 4: median 0.5, quartiles -1 and 2, half-range 1.5
        PairedTimes t = new PairedTimes(new double[] {7, 9, 10.5, 12, 14}, new double[] {10, 10, 10, 10, 10});
        assertFalse(t.resolved());
        assertEquals("< noise (±1.50)", t.difference());
    }

    @Test
    void aNegativeMedianIsNeverPrintedAsAValue() {
        // the reported case: the paired medians gave -36 ms; here -36 with a spread of 5
        double[] task = {50, 55, 60, 65, 70};
        double[] baseline = {96, 96, 96, 96, 96};
        PairedTimes t = new PairedTimes(task, baseline);
        assertEquals(-36, t.differenceMedian(), 1e-12);
        assertFalse(t.resolved());
        assertEquals("< noise (±36.00)", t.difference(), "the bound covers the median too");
    }

    @Test
    void aMedianEqualToItsSpreadIsNotResolved() {
        // differences 0, 1, 2: median 1, quartiles 0.5 and 1.5, half-range 0.5: resolved
        assertTrue(new PairedTimes(new double[] {0, 1, 2}, new double[] {0, 0, 0}).resolved());
        // differences 0, 0, 2, 2: median 1, quartiles 0 and 2, half-range 1: a tie is not resolved
        PairedTimes tie = new PairedTimes(new double[] {0, 0, 2, 2}, new double[] {0, 0, 0, 0});
        assertEquals(1, tie.differenceMedian(), 0);
        assertEquals(1, tie.noise(), 0);
        assertFalse(tie.resolved());
    }

    @Test
    void theRatioIsTheMedianOfPerRoundRatiosWithQuartiles() {
        // a task 3x its baseline in every round, under a drift that changes both 10-fold
        PairedTimes t = new PairedTimes(new double[] {3, 30, 6, 15, 9}, new double[] {1, 10, 2, 5, 3});
        assertEquals("3.0x (3.0-3.0)", t.ratio());
        PairedTimes mixed = new PairedTimes(new double[] {2, 4, 6, 8, 10}, new double[] {1, 1, 1, 1, 1});
        assertEquals("6.0x (4.0-8.0)", mixed.ratio());
    }

    @Test
    void mismatchedOrEmptySamplesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new PairedTimes(new double[] {1, 2}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> new PairedTimes(new double[0], new double[0]));
    }

    @Test
    void pairedRoundsAlternateWhichRunsFirst() {
        List<String> calls = new ArrayList<>();
        PairedTimes t = Timer.paired(1, 4, () -> calls.add("task"), () -> calls.add("base"));
        assertEquals(List.of("task", "base", "task", "base", "base", "task", "task", "base", "base", "task"), calls);
        assertEquals(4, t.task().length);
        assertEquals(4, t.baseline().length);
    }
}
