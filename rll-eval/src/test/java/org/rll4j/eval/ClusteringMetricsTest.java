package org.rll4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ClusteringMetricsTest {

    @Test
    void perfectClusteringIsOneAndASingleClusterIsZero() {
        int[] y = {0, 0, 1, 1, 2, 2};
        for (NmiNormalization n : NmiNormalization.values()) {
            assertEquals(1.0, ClusteringMetrics.nmi(y, new int[] {7, 7, 3, 3, 5, 5}, n), 1e-15);
            assertEquals(0.0, ClusteringMetrics.nmi(y, new int[6], n), 0);
        }
        assertEquals(1.0, ClusteringMetrics.pairwiseF1(y, new int[] {7, 7, 3, 3, 5, 5}), 0);
    }

    @Test
    void nmiByHandWithNaturalLogs() {
        // classes {0,0,1,1}, clusters {0,0,0,1}: H(Y) = ln 2; H(C) = -(3/4 ln 3/4 + 1/4 ln 1/4);
        // I = 2/4 ln(4*2/(2*3)) + 1/4 ln(4*1/(2*3)) + 1/4 ln(4*1/(2*1))
        int[] y = {0, 0, 1, 1};
        int[] c = {0, 0, 0, 1};
        double hy = Math.log(2);
        double hc = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
        double mi = 0.5 * Math.log(8.0 / 6) + 0.25 * Math.log(4.0 / 6) + 0.25 * Math.log(2);
        assertEquals(mi / ((hy + hc) / 2), ClusteringMetrics.nmi(y, c, NmiNormalization.ARITHMETIC), 1e-15);
        assertEquals(mi / Math.sqrt(hy * hc), ClusteringMetrics.nmi(y, c, NmiNormalization.GEOMETRIC), 1e-15);
        assertEquals(mi / Math.min(hy, hc), ClusteringMetrics.nmi(y, c, NmiNormalization.MIN), 1e-15);
        assertEquals(mi / Math.max(hy, hc), ClusteringMetrics.nmi(y, c, NmiNormalization.MAX), 1e-15);
    }

    @Test
    void pairwiseF1ByHand() {
        // classes {0,0,1,1}, clusters {0,0,0,1}: same-cluster pairs 3 (01 02 12), same-class pairs 2 (01 23),
        // TP 1 (01): precision 1/3, recall 1/2, F1 = 2 * 1 / (3 + 2)
        assertEquals(2.0 / 5, ClusteringMetrics.pairwiseF1(new int[] {0, 0, 1, 1}, new int[] {0, 0, 0, 1}), 1e-15);
    }

    @Test
    void invalidInputs() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClusteringMetrics.nmi(new int[] {1, 2}, new int[] {1}, NmiNormalization.ARITHMETIC));
        assertTrue(e.getMessage().contains("found 2 and 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClusteringMetrics.pairwiseF1(new int[] {1, 2}, new int[] {1, 1}));
        assertTrue(e.getMessage().contains("at least one class with two items"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NmiNormalization.fromLabel("mean"));
        assertTrue(e.getMessage().contains("found 'mean'"), e.getMessage());
        assertEquals(NmiNormalization.MIN, NmiNormalization.fromLabel("MIN"));
    }
}
