package org.rll4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class VectorScanTest {

    @Test
    void theTestJvmRunsTheSimdScan() {
        // surefire passes --add-modules jdk.incubator.vector (parent pom), as ./rll does; without it the
        // scalar loop would run unnoticed and the SIMD one would go untested
        assertTrue(ExactNeighbours.scanKind().startsWith("SIMD"), ExactNeighbours.scanKind());
        assertTrue(VectorScan.lanes() >= 2, "lanes: " + VectorScan.lanes());
    }

    @Test
    void simdAndScalarFindTheSameItemsForEveryRangeAndGate() {
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 2000; trial++) {
            int n = 1 + r.nextInt(70);
            float[] row = new float[n];
            for (int j = 0; j < n; j++) {
                row[j] = switch (r.nextInt(10)) {
                    case 0 -> Float.NEGATIVE_INFINITY; // the masked query
                    case 1 -> 0.5f; // ties with the gate below
                    case 2 -> -0.0f;
                    default -> (float) r.nextGaussian();
                };
            }
            int from = r.nextInt(n + 1);
            int to = from + r.nextInt(n - from + 1);
            float gate = switch (r.nextInt(5)) {
                case 0 -> 0.5f;
                case 1 -> Float.POSITIVE_INFINITY; // a lone query: nothing passes
                case 2 -> -Float.MAX_VALUE; // an empty selector: everything but the masked query passes
                case 3 -> 0.0f; // -0.0 reaches it, as in the scalar comparison
                default -> (float) (2 * r.nextGaussian());
            };
            // every item that reaches the gate, in order, by both loops
            for (int j = from; ; j++) {
                int simd = VectorScan.next(row, j, to, gate);
                int scalar = ExactNeighbours.scalarNext(row, j, to, gate);
                assertEquals(scalar, simd, "trial " + trial + ", from " + j + ", to " + to + ", gate " + gate);
                if (simd >= to) {
                    break;
                }
                j = simd;
            }
        }
    }
}
