package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.eval.RetrievalEvaluator;
import org.rll4j.eval.RetrievalMetric;
import org.rll4j.sampler.UciDigits;

/**
 * Real data, class-disjoint protocol: a small CNN trained with the Ranked List Loss on the UCI digits
 * 0-4 must embed the unseen digits 5-9 better (MAP@R) than the same network untrained.
 *
 * <p>Raw pixels give 0.606 on the same split. Learning from only five classes transfers modestly to five
 * new ones (an MLP overfits them and gets worse than untrained); the convolutional features do carry
 * over, which is what this test checks.
 */
@Tag("training")
class DigitsTrainingTest {

    /**
     * Training steps per seed. The gain peaks around 100 steps and then shrinks as the network
     * specialises on the five training classes (measured, seeds 2/3/4: +0.03/+0.05/+0.12 at 100 steps,
     * about 0 to +0.07 at 400); the mean over three seeds keeps the test robust to the run-to-run
     * differences of float arithmetic between CPUs.
     */
    private static final int ITERATIONS = 100;

    /** Mean MAP@R over the test digits (lone queries excluded; there are none here). */
    private static final RetrievalEvaluator MAP_AT_R = RetrievalEvaluator.builder().metrics(RetrievalMetric.MAP_AT_R).build();

    @Test
    void trainingOnDigits0To4ImprovesMapAtROnUnseenDigits5To9() {
        UciDigits.Data all = UciDigits.load();
        UciDigits.Data train = all.ofClasses(0, 1, 2, 3, 4);
        UciDigits.Data test = all.ofClasses(5, 6, 7, 8, 9);
        INDArray testX = test.features();
        INDArray trainX = train.features();
        int[][] byClass = indicesByClass(train.labels(), 5);
        double gain = 0;
        long[] seeds = {42, 2, 3};
        for (long seed : seeds) {
            ComputationGraph net = TinyNetworks.digitsCnn(RankedListLossConfig.paper(), 64, seed);
            double before = MAP_AT_R.evaluate(net.outputSingle(testX), test.labels()).mapAtR();
            SplittableRandom rnd = new SplittableRandom(seed);
            int perClass = 12; // batch: 5 classes x 12
            double firstLoss = Double.NaN;
            double lastLoss = Double.NaN;
            for (int it = 0; it < ITERATIONS; it++) {
                long[] rows = new long[5 * perClass];
                float[] ids = new float[rows.length];
                for (int c = 0; c < 5; c++) {
                    for (int k = 0; k < perClass; k++) {
                        rows[c * perClass + k] = byClass[c][rnd.nextInt(byClass[c].length)];
                        ids[c * perClass + k] = c;
                    }
                }
                DataSet batch = new DataSet(trainX.getRows(toInt(rows)), Nd4j.createFromArray(ids).reshape(-1, 1));
                net.fit(batch);
                if (it == 0) {
                    firstLoss = net.score();
                }
                lastLoss = net.score();
            }
            double after = MAP_AT_R.evaluate(net.outputSingle(testX), test.labels()).mapAtR();
            System.out.printf("seed %d, digits 5-9 MAP@R: untrained %.4f, trained on 0-4 %.4f; train loss %.4f -> %.4f%n",
                    seed, before, after, firstLoss, lastLoss);
            assertTrue(lastLoss < firstLoss, "seed " + seed + ": training loss must fall: " + firstLoss + " -> " + lastLoss);
            assertTrue(after > before, "seed " + seed + ": MAP@R on unseen classes: untrained " + before + ", trained " + after);
            gain += (after - before) / seeds.length;
        }
        // measured: +0.043, +0.026, +0.021 (mean +0.030)
        assertTrue(gain > 0.01, "mean MAP@R gain on unseen classes over 3 seeds: " + gain);
    }

    private static int[][] indicesByClass(int[] labels, int classes) {
        int[] counts = new int[classes];
        for (int l : labels) {
            counts[l]++;
        }
        int[][] out = new int[classes][];
        for (int c = 0; c < classes; c++) {
            out[c] = new int[counts[c]];
        }
        int[] at = new int[classes];
        for (int i = 0; i < labels.length; i++) {
            out[labels[i]][at[labels[i]]++] = i;
        }
        return out;
    }

    private static int[] toInt(long[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = (int) a[i];
        }
        return r;
    }
}
