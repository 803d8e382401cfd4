package org.rll4j.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.listeners.PerformanceListener;
import org.deeplearning4j.ui.model.stats.StatsListener;
import org.deeplearning4j.ui.model.storage.FileStatsStorage;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.ViewIterator;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.listeners.BestModelListener;
import org.rll4j.listeners.CheckpointState;
import org.rll4j.listeners.DivergenceGuardListener;
import org.rll4j.listeners.ResumableCheckpointListener;
import org.rll4j.listeners.RetrievalEvaluationListener;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.sampler.ClassBalancedDataSetIterator;
import org.rll4j.sampler.UciDigits;

/**
 * rll4j's training loop as listeners on a plain {@code net.fit(iterator, epochs)}: the divergence guard, retrieval
 * evaluation on held-out classes every 5 steps (recorded with DL4J's own {@link StatsListener} into a
 * {@code stats.dl4j} file that the training UI can serve), the best model by MAP@R, and atomic checkpoints that a
 * later call resumes from, with the weights an uninterrupted run would have.
 *
 * <p>Run it, kill it, run it again: it continues from {@code DIR/checkpoint}.
 */
public final class ResumableTraining {

    private ResumableTraining() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "runs/resumable-training");
        run(dir, 6);
        System.out.println("done; the training UI can show " + dir.resolve("stats.dl4j"));
    }

    /**
     * Trains the network of {@link InMemoryTraining} on the UCI digits 0-4 for {@code epochs} epochs in all, or for
     * the epochs still missing when {@code dir} holds a checkpoint.
     *
     * @return the trained network
     */
    public static ComputationGraph run(Path dir, int epochs) throws IOException {
        Files.createDirectories(dir);
        UciDigits.Data all = UciDigits.load();
        UciDigits.Data train = all.ofClasses(0, 1, 2, 3, 4);
        UciDigits.Data heldOut = all.ofClasses(5, 6, 7, 8, 9);
        ClassBalancedDataSetIterator.Builder batches = ClassBalancedDataSetIterator.builder()
                .features(train.features()).labels(Nd4j.createFromArray(train.labels()).reshape(-1, 1))
                .classesPerBatch(5).samplesPerClass(12).seed(42);
        DataSetIterator evaluationData = new ViewIterator(
                new DataSet(heldOut.features(), Nd4j.createFromArray(heldOut.labels()).reshape(-1, 1)), 256);

        Path checkpoint = dir.resolve("checkpoint");
        BestModelListener.Builder best = BestModelListener.builder().metric("map@r").file(dir.resolve("best.zip"));
        ResumableCheckpointListener.Builder checkpoints = ResumableCheckpointListener.builder().directory(checkpoint).every(5);
        ComputationGraph net;
        ClassBalancedDataSetIterator batchIterator;
        int epochsLeft = epochs;
        if (CheckpointState.exists(checkpoint)) {
            ResumableCheckpointListener.Resumed r = ResumableCheckpointListener.resume(checkpoint);
            net = r.network();
            batchIterator = r.iterator(batches);
            best.resumeFrom(r.state());
            checkpoints.resumeFrom(r.state());
            epochsLeft = r.remainingEpochs(epochs);
        } else {
            net = InMemoryTraining.network(42);
            batchIterator = batches.build();
        }

        StatsStorage stats = new FileStatsStorage(dir.resolve("stats.dl4j").toFile());
        String session = "digits";
        DivergenceGuardListener guard = DivergenceGuardListener.builder()
                .maxLoss(RankedListLossConfig.paper().maxBatchMean()).build();
        BestModelListener bestModel = best.build();
        RetrievalEvaluationListener evaluation = RetrievalEvaluationListener.builder()
                .data(evaluationData).every(5).stats(stats, session).callback(bestModel).build();
        net.setListeners(guard, evaluation, checkpoints.iterator(batchIterator).guard(guard).bestModel(bestModel).build(),
                new StatsListener(stats, 5, session), new PerformanceListener(15, true));
        try {
            if (epochsLeft > 0) {
                net.fit(batchIterator, epochsLeft);
            }
        } finally {
            stats.close();
        }
        return net;
    }
}
