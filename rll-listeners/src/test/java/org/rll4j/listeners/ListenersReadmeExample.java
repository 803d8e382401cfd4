package org.rll4j.listeners;

import java.io.IOException;
import java.nio.file.Path;

import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.listeners.PerformanceListener;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.ViewIterator;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.sampler.ClassBalancedDataSetIterator;
import org.rll4j.sampler.UciDigits;

/**
 * The example of the README section "Training listeners for your own fit loop", verbatim between the markers (a test
 * compares the two): a plain {@code fit(iterator, epochs)} with the divergence guard, retrieval evaluation, best model
 * and checkpoints, which continues an interrupted run where it stopped.
 */
final class ListenersReadmeExample {

    private ListenersReadmeExample() {
    }

    /** The user's network: a ComputationGraph ending in the Ranked List Loss layer. */
    static ComputationGraph newNetwork() {
        return Digits.network(42);
    }

    /** Trains {@code epochs} epochs in {@code dir}, or continues the run there to that many; returns the network. */
    static ComputationGraph run(Path dir, int epochs) throws IOException {
        // README:begin
        // The embedded UCI digits: train on the even ones, evaluate retrieval on the unseen odd ones.
        UciDigits.Data all = UciDigits.load();
        UciDigits.Data even = all.ofClasses(0, 2, 4, 6, 8);
        UciDigits.Data odd = all.ofClasses(1, 3, 5, 7, 9);
        ClassBalancedDataSetIterator.Builder batches = ClassBalancedDataSetIterator.builder()
                .features(even.features()).labels(Nd4j.createFromArray(even.labels()).reshape(-1, 1))
                .classesPerBatch(5).samplesPerClass(12).seed(42);
        DataSetIterator heldOut = new ViewIterator(new DataSet(odd.features(),
                Nd4j.createFromArray(odd.labels()).reshape(-1, 1).castTo(DataType.FLOAT)), 256);
        StatsStorage stats = new InMemoryStatsStorage();        // or a FileStatsStorage that the UI serves

        // A new run, or the rest of one that was interrupted (killed, crashed, stopped).
        Path checkpoint = dir.resolve("checkpoint");
        BestModelListener.Builder best = BestModelListener.builder().metric("map@r").file(dir.resolve("best.zip"));
        ResumableCheckpointListener.Builder checkpoints = ResumableCheckpointListener.builder().directory(checkpoint).every(7);
        ComputationGraph net;
        ClassBalancedDataSetIterator train;
        int epochsLeft = epochs;
        if (CheckpointState.exists(checkpoint)) {
            ResumableCheckpointListener.Resumed r = ResumableCheckpointListener.resume(checkpoint);
            net = r.network();                                  // weights, updater state and counters
            train = r.iterator(batches);                        // at the saved epoch and batch
            best.resumeFrom(r.state());
            checkpoints.resumeFrom(r.state());
            epochsLeft = r.remainingEpochs(epochs);
        } else {
            net = newNetwork();                                 // yours, ending in RankedListLossLayer
            train = batches.build();
        }

        DivergenceGuardListener guard = DivergenceGuardListener.builder()
                .maxLoss(RankedListLossConfig.paper().maxBatchMean())  // the most one RLL head can give
                .build();
        BestModelListener bestModel = best.build();
        RetrievalEvaluationListener evaluation = RetrievalEvaluationListener.builder()
                .data(heldOut).every(7).stats(stats, "digits").callback(bestModel).build();
        net.setListeners(guard, evaluation, checkpoints.iterator(train).guard(guard).bestModel(bestModel).build(),
                new PerformanceListener(7, true));
        if (epochsLeft > 0) {
            net.fit(train, epochsLeft);
        }
        // README:end
        return net;
    }
}
