package org.rll4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.eval.RetrievalEvaluator;
import org.rll4j.listeners.ResumableCheckpointListener;
import org.rll4j.loss.MetricLossLayer;
import org.rll4j.loss.MultiSimilarityLossConfig;
import org.rll4j.listeners.RetrievalEvaluationListener;
import org.rll4j.sampler.ClassBalancedDataSetIterator;
import org.rll4j.sampler.LabelIds;
import org.rll4j.sampler.ResumableIterator;

/**
 * Training on Spark {@code local[2]} with real data (the embedded UCI digits): it learns (MAP@R on the unseen digits
 * above the untrained network's), every minibatch a worker fitted was one whole C x K batch of the sampler and the
 * batches fitted are exactly the sampler's, and a checkpoint written during a Spark run resumes at its position.
 */
class SparkEmbeddingTrainerTest {

    private static final int BATCHES_PER_EPOCH = 15;

    private static double mapAtR(ComputationGraph net) throws IOException {
        return RetrievalEvaluationListener.builder().data(LocalSpark.heldOut())
                .evaluator(RetrievalEvaluator.builder().recallAt(1).build()).build().evaluate(net).report().mapAtR();
    }

    /** The batches a single-machine iterator gives from {@code from}, as the workers' hook records them. */
    private static List<FittedBatch> expected(long seed, ResumableIterator.Position from, int n) {
        ClassBalancedDataSetIterator it = ClassBalancedDataSetIterator.builder().features(LocalSpark.TRAIN.features())
                .labels(Nd4j.createFromArray(LocalSpark.TRAIN.labels()).reshape(-1, 1)).classesPerBatch(LocalSpark.C)
                .samplesPerClass(LocalSpark.K).seed(seed).firstEpoch(from.epoch()).firstBatch(from.batchInEpoch()).build();
        List<FittedBatch> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!it.hasNext()) {
                it.reset();
            }
            DataSet d = it.next();
            INDArray f = d.getFeatures();
            out.add(new FittedBatch((int) f.size(0), LabelIds.intClassIds(d.getLabels(), "labels"), f.sumNumber().doubleValue()));
        }
        return out;
    }

    /** Same batches, each once: equal class sequences and feature sums equal to float rounding, in any order. */
    private static void assertSameBatches(List<FittedBatch> expected, List<FittedBatch> actual) {
        assertEquals(expected.size(), actual.size(), "batches fitted");
        Comparator<FittedBatch> order = Comparator.comparing((FittedBatch b) -> Arrays.toString(b.classIds()))
                .thenComparingDouble(FittedBatch::featureSum);
        List<FittedBatch> e = new ArrayList<>(expected);
        List<FittedBatch> a = new ArrayList<>(actual);
        e.sort(order);
        a.sort(order);
        for (int i = 0; i < e.size(); i++) {
            assertEquals(Arrays.toString(e.get(i).classIds()), Arrays.toString(a.get(i).classIds()), "batch " + i);
            assertEquals(e.get(i).featureSum(), a.get(i).featureSum(), 1e-3 * Math.abs(e.get(i).featureSum()), "batch " + i);
        }
    }

    @Test
    void learnsOnWholeClassBalancedBatches() throws IOException {
        long seed = 42;
        ComputationGraph net = LocalSpark.network(seed);
        double untrained = mapAtR(net);
        SparkEmbeddingTrainer trainer = SparkEmbeddingTrainer.builder().sparkContext(LocalSpark.context()).network(net)
                .batches(LocalSpark.batches(seed)).samplesPerClass(LocalSpark.K).recordBatches(true).build();
        assertEquals(BATCHES_PER_EPOCH, trainer.batchesInEpoch());
        int total = 6 * BATCHES_PER_EPOCH;
        trainer.fit(total);
        double trained = mapAtR(net);
        assertTrue(trained > untrained + 0.02, "MAP@R on the unseen digits: untrained " + untrained + ", trained " + trained);

        List<FittedBatch> fitted = trainer.fittedBatches();
        for (FittedBatch b : fitted) {
            assertTrue(b.isWhole(LocalSpark.C, LocalSpark.K), "not a whole batch: " + b);
        }
        assertSameBatches(expected(seed, new ResumableIterator.Position(0, 0), total), fitted);
        assertEquals(total, trainer.batchesFitted());
        assertEquals(total, net.getIterationCount());
        assertEquals(6, net.getEpochCount());
        assertEquals(new ResumableIterator.Position(6, 0), trainer.resumePosition());
        assertTrue(Double.isFinite(net.score()) && net.score() > 0, "the driver's score is the workers' mean loss: " + net.score());
    }

    @Test
    void trainsABaselineLossOnWholeBatchesToo() {
        long seed = 11;
        ComputationGraph net = LocalSpark.network(seed, MetricLossLayer.of(MultiSimilarityLossConfig.defaults()));
        INDArray before = net.params().dup();
        SparkEmbeddingTrainer trainer = SparkEmbeddingTrainer.builder().sparkContext(LocalSpark.context()).network(net)
                .batches(LocalSpark.batches(seed)).samplesPerClass(LocalSpark.K).recordBatches(true).build();
        trainer.fit(20);
        assertSameBatches(expected(seed, new ResumableIterator.Position(0, 0), 20), trainer.fittedBatches());
        assertTrue(Double.isFinite(net.score()), "Multi-Similarity loss of the last round: " + net.score());
        assertTrue(before.distance2(net.params()) > 0, "the averaged parameters moved");
    }

    @Test
    void aCheckpointWrittenDuringASparkRunResumesAtItsPosition(@TempDir Path dir) throws IOException {
        long seed = 3;
        ComputationGraph net = LocalSpark.network(seed);
        double untrained = mapAtR(net);
        SparkEmbeddingTrainer trainer = SparkEmbeddingTrainer.builder().sparkContext(LocalSpark.context()).network(net)
                .batches(LocalSpark.batches(seed)).samplesPerClass(LocalSpark.K).alignTo(20).build();
        ResumableCheckpointListener checkpoints = ResumableCheckpointListener.builder().directory(dir).every(20)
                .iterator(trainer).build();
        trainer.setListeners(checkpoints);
        trainer.fit(50); // "killed" after iteration 50: the checkpoint of iteration 40 is the one to resume from

        ResumableCheckpointListener.Resumed r = ResumableCheckpointListener.resume(dir);
        assertEquals(40, r.state().iteration());
        ResumableIterator.Position at = r.position();
        assertEquals(new ResumableIterator.Position(40 / BATCHES_PER_EPOCH, 40 % BATCHES_PER_EPOCH), at);
        ComputationGraph restored = r.network();
        assertEquals(40, restored.getIterationCount());

        SparkEmbeddingTrainer resumed = SparkEmbeddingTrainer.builder().sparkContext(LocalSpark.context()).network(restored)
                .batches(LocalSpark.batches(seed)).samplesPerClass(LocalSpark.K).from(at).recordBatches(true).build();
        resumed.fit(90);
        assertSameBatches(expected(seed, at, 50), resumed.fittedBatches());
        assertEquals(90, restored.getIterationCount());
        assertEquals(6, restored.getEpochCount());
        double trained = mapAtR(restored);
        assertTrue(trained > untrained, "MAP@R after resuming: untrained " + untrained + ", trained " + trained);
    }

    /**
     * The digits' batches, but batch 7 of epoch 0 cannot be read (a corrupt file on shared storage, say). It fails
     * only after a while, so that the worker's training thread is already waiting for it: before the loader carried
     * failures to the training thread, that wait never ended (DL4J's prefetch thread died without its end marker).
     */
    private static final class OneUnreadableBatch implements BatchSource {
        private final InMemoryBatchSource source = LocalSpark.batches(9);

        @Override
        public int batchesPerEpoch() {
            return source.batchesPerEpoch();
        }

        @Override
        public int batchSize() {
            return source.batchSize();
        }

        @Override
        public DataSet batch(long epoch, int batchInEpoch) throws IOException {
            if (epoch == 0 && batchInEpoch == 7) {
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("cannot decode /shared/digits/7/0042.png");
            }
            return source.batch(epoch, batchInEpoch);
        }

        @Override
        public String describe() {
            return source.describe();
        }
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a regression hangs rather than fails
    void aFailedRoundLeavesTheDriversNetworkAndPositionAsAfterTheLastRound() {
        ComputationGraph net = LocalSpark.network(9);
        SparkEmbeddingTrainer trainer = SparkEmbeddingTrainer.builder().sparkContext(LocalSpark.context()).network(net)
                .batches(new OneUnreadableBatch()).samplesPerClass(LocalSpark.K).alignTo(5).build();
        trainer.fitRound(15);
        INDArray afterFirstRound = net.params().dup();
        Exception e = assertThrows(Exception.class, () -> trainer.fitRound(15));
        StringBuilder causes = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            causes.append(t.getMessage()).append('\n');
        }
        assertTrue(causes.toString().contains("cannot decode /shared/digits/7/0042.png"), causes.toString());
        assertEquals(afterFirstRound, net.params());
        assertEquals(5, net.getIterationCount());
        assertEquals(0, net.getEpochCount());
        assertEquals(new ResumableIterator.Position(0, 5), trainer.resumePosition());
    }

    @Test
    void roundsEndWhereTheDriverActs() {
        long seed = 5;
        ComputationGraph net = LocalSpark.network(seed);
        SparkEmbeddingTrainer trainer = SparkEmbeddingTrainer.builder().sparkContext(LocalSpark.context()).network(net)
                .batches(LocalSpark.batches(seed)).samplesPerClass(LocalSpark.K).alignTo(6)
                .settings(SparkTrainingSettings.builder().workers(2).averagingFrequency(3).build()).build();
        List<Integer> sizes = new ArrayList<>();
        List<Long> ends = new ArrayList<>();
        while (net.getIterationCount() < 20) {
            SparkEmbeddingTrainer.Round round = trainer.fitRound(20);
            sizes.add(round.batches());
            ends.add(round.firstIteration() + round.batches());
        }
        // rounds of up to 2 x 3 batches, ending at multiples of 6, at the epoch end (15) and at the run's end (20)
        assertEquals(List.of(6L, 12L, 15L, 18L, 20L), ends);
        assertEquals(List.of(6, 6, 3, 3, 2), sizes);
        assertEquals(20, trainer.batchesFitted());
    }

    /** Records the iteration counter of each worker step. */
    private static final class WorkerIterations extends BaseTrainingListener implements Serializable {
        private final CollectionAccumulator<Integer> seen;

        WorkerIterations(CollectionAccumulator<Integer> seen) {
            this.seen = seen;
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            seen.add(iteration);
        }
    }

    @Test
    void workersCountOnFromTheDriversIteration() {
        CollectionAccumulator<Integer> seen = LocalSpark.context().sc().collectionAccumulator();
        ComputationGraph net = LocalSpark.network(1);
        SparkEmbeddingTrainer trainer = SparkEmbeddingTrainer.builder().sparkContext(LocalSpark.context()).network(net)
                .batches(LocalSpark.batches(1)).samplesPerClass(LocalSpark.K).workerListeners(null, new WorkerIterations(seen))
                .build();
        trainer.fit(30);
        // rounds of 2 workers x 5: [0, 10), [10, 15) (the epoch ends), [15, 25), [25, 30); a worker's steps count on from
        // the round's start (DL4J's copies would count 0, 1, 2, ... every round)
        List<Integer> expected = new ArrayList<>(List.of(0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 10, 11, 10, 11, 12, 15, 16, 17, 18, 19,
                15, 16, 17, 18, 19, 25, 26, 25, 26, 27));
        List<Integer> actual = new ArrayList<>(seen.value());
        expected.sort(null);
        actual.sort(null);
        assertEquals(expected, actual);
    }

    @Test
    void settingsAndPositionsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> SparkTrainingSettings.builder().workers(0).build());
        assertThrows(IllegalArgumentException.class, () -> SparkTrainingSettings.builder().averagingFrequency(0).build());
        assertThrows(IllegalArgumentException.class, () -> SparkTrainingSettings.builder().prefetch(-1).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkEmbeddingTrainer.builder()
                .sparkContext(LocalSpark.context()).network(LocalSpark.network(1)).batches(LocalSpark.batches(1))
                .samplesPerClass(LocalSpark.K).from(new ResumableIterator.Position(0, 16)).build());
        assertTrue(e.getMessage().contains("batch 16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SparkEmbeddingTrainer.builder().sparkContext(LocalSpark.context())
                .network(LocalSpark.network(1)).batches(LocalSpark.batches(1)).samplesPerClass(7).build());
        IllegalArgumentException memory = assertThrows(IllegalArgumentException.class, () -> SparkEmbeddingTrainer.builder()
                .sparkContext(LocalSpark.context()).network(LocalSpark.network(1, org.rll4j.loss.RankedListLossLayer.of(
                        org.rll4j.loss.RankedListLossConfig.paper(), org.rll4j.loss.CrossBatchMemoryConfig.of(64, 0))))
                .batches(LocalSpark.batches(1)).samplesPerClass(LocalSpark.K).build());
        assertTrue(memory.getMessage().contains("cross-batch memory"), memory.getMessage());
    }
}
