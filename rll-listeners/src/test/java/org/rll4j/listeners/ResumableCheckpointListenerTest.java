package org.rll4j.listeners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.listeners.CheckpointListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.rll4j.sampler.ClassBalancedDataSetIterator;
import org.rll4j.sampler.ResumableIterator;

class ResumableCheckpointListenerTest {

    private static final int EPOCHS = 3;
    private static final long SEED = 11;

    /** Stands for a crash: thrown out of fit after a given step. */
    private static final class Killed extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private static BaseTrainingListener killAfter(long steps) {
        return new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                if (iteration + 1 == steps) {
                    throw new Killed();
                }
            }
        };
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** An uninterrupted run of {@value #EPOCHS} epochs with checkpoints every {@code every} iterations. */
    private static ComputationGraph uninterrupted(Path dir, int every, boolean memory) {
        ComputationGraph net = memory ? Digits.networkWithMemory(SEED) : Digits.network(SEED);
        ClassBalancedDataSetIterator train = Digits.batches(SEED).build();
        net.setListeners(ResumableCheckpointListener.builder().directory(dir).every(every).iterator(train).build());
        net.fit(train, EPOCHS);
        return net;
    }

    @ParameterizedTest(name = "checkpoints every {0}, killed after step {1}, cross-batch memory {2}")
    @CsvSource({"5, 23, false", "14, 31, false", "5, 23, true", "14, 31, true"})
    void aRunKilledAfterACheckpointAndResumedEndsBitIdenticalToAnUninterruptedOne(int every, int killedAfter, boolean memory,
                                                                                  @TempDir Path dir) throws Exception {
        ComputationGraph whole = uninterrupted(dir.resolve("whole"), every, memory);
        assertEquals(EPOCHS * Digits.BATCHES_PER_EPOCH, whole.getIterationCount());

        Path folder = dir.resolve("killed");
        ComputationGraph doomed = memory ? Digits.networkWithMemory(SEED) : Digits.network(SEED);
        ClassBalancedDataSetIterator train = Digits.batches(SEED).build();
        doomed.setListeners(ResumableCheckpointListener.builder().directory(folder).every(every).iterator(train).build(),
                killAfter(killedAfter));
        assertThrows(Killed.class, () -> doomed.fit(train, EPOCHS));

        ResumableCheckpointListener.Resumed r = ResumableCheckpointListener.resume(folder);
        long at = killedAfter / every * every;
        assertEquals(at, r.state().iteration());
        assertEquals(new ResumableIterator.Position(at / Digits.BATCHES_PER_EPOCH, (int) (at % Digits.BATCHES_PER_EPOCH)),
                r.position());
        ComputationGraph net = r.network();
        assertEquals(at, net.getIterationCount(), "the counter of the steps done, not one behind");
        ClassBalancedDataSetIterator rest = r.iterator(Digits.batches(SEED));
        net.setListeners(ResumableCheckpointListener.builder().directory(folder).every(every).iterator(rest)
                .resumeFrom(r.state()).build());
        net.fit(rest, r.remainingEpochs(EPOCHS));

        assertEquals(whole.getIterationCount(), net.getIterationCount());
        assertEquals(whole.getEpochCount(), net.getEpochCount());
        assertArrayEquals(whole.params().toFloatVector(), net.params().toFloatVector(), "the same weights, bit for bit");
        assertArrayEquals(whole.getUpdater().getStateViewArray().toFloatVector(),
                net.getUpdater().getStateViewArray().toFloatVector(), "the same updater state");
        assertEquals(files(dir.resolve("whole")), files(folder));
    }

    @Test
    void aCheckpointIsOneModelFileAndTheStateThatNamesIt(@TempDir Path dir) throws Exception {
        ComputationGraph net = uninterrupted(dir, 5, false);
        assertEquals(List.of("model-00000040.zip", "state.json"), files(dir), "only the latest; no temporary file");
        CheckpointState state = CheckpointState.read(dir);
        assertEquals(40, state.iteration());
        assertEquals(new ResumableIterator.Position(2, 12), state.position(), "40 = 2 epochs of 14 + 12");
        assertEquals("model-00000040.zip", state.model());
        assertEquals(CheckpointState.sha256(dir.resolve(state.model())), state.modelSha256());
        assertTrue(state.loss() > 0 && state.seconds() >= 0, state.toString());
        assertNull(state.statsSession());
        // the rll4j runner's state.json: the same keys as always, so earlier runs resume
        Map<?, ?> json = new ObjectMapper().readValue(dir.resolve("state.json").toFile(), Map.class);
        assertEquals(List.of("iteration", "epoch", "batchInEpoch", "seconds", "bestValue", "bestIteration", "statsSession",
                "loss", "model", "modelSha256"), List.copyOf(json.keySet()));
        assertEquals(42, net.getIterationCount());
    }

    @Test
    void leftoversOfInterruptedWritesAreRemovedOnResume(@TempDir Path dir) throws Exception {
        uninterrupted(dir, 5, false);
        Path partial = Files.writeString(dir.resolve(".model-00000045.zip.4242.tmp"), "partial");
        Path uncommitted = Files.copy(dir.resolve("model-00000040.zip"), dir.resolve("model-00000045.zip"));
        ResumableCheckpointListener.Resumed r = ResumableCheckpointListener.resume(dir);
        assertEquals(List.of(partial, uncommitted), r.removed());
        assertEquals(List.of("model-00000040.zip", "state.json"), files(dir));
        assertEquals(40, r.network().getIterationCount());
    }

    @Test
    void aFailedCheckpointLeavesThePreviousOneCommitted(@TempDir Path dir) throws Exception {
        ComputationGraph net = Digits.network(SEED);
        ClassBalancedDataSetIterator train = Digits.batches(SEED).build();
        int[] writes = {0};
        net.setListeners(ResumableCheckpointListener.builder().directory(dir).every(5).iterator(train)
                .alongside(() -> {
                    if (++writes[0] == 2) {
                        throw new IOException("disk full");
                    }
                }).build());
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> net.fit(train, 1));
        assertEquals("disk full", e.getCause().getMessage());
        assertEquals(5, CheckpointState.read(dir).iteration(), "the commit (state.json) of iteration 10 never happened");
        assertEquals(List.of("model-00000005.zip", "model-00000010.zip", "state.json"), files(dir));
        ResumableCheckpointListener.Resumed r = ResumableCheckpointListener.resume(dir);
        assertEquals(List.of(dir.resolve("model-00000010.zip")), r.removed());
        assertEquals(5, r.network().getIterationCount());
    }

    @Test
    void aTamperedModelFileIsRefused(@TempDir Path dir) throws Exception {
        uninterrupted(dir, 14, false);
        Path model = dir.resolve("model-00000042.zip");
        Files.write(model, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
        IOException e = assertThrows(IOException.class, () -> ResumableCheckpointListener.resume(dir));
        assertTrue(e.getMessage().startsWith("the checkpoint is inconsistent: " + model + " is not the model that "
                + dir.resolve("state.json") + " names"), e.getMessage());
    }

    @Test
    void theGuardKeepsAnUnfitNetworkFromBeingCheckpointed(@TempDir Path dir) {
        // a bound the loss exceeds by 5-10x: not diverged (100x), but not fit to checkpoint (2x)
        DivergenceGuardListener guard = DivergenceGuardListener.builder().maxLoss(0.2).build();
        List<String> skipped = new ArrayList<>();
        ComputationGraph net = Digits.network(SEED);
        ClassBalancedDataSetIterator train = Digits.batches(SEED).build();
        net.setListeners(guard, ResumableCheckpointListener.builder().directory(dir).every(5).iterator(train).guard(guard)
                .onSkip((iteration, problem, last) -> skipped.add(iteration + ": " + problem)).build());
        net.fit(train, 1);
        assertEquals(2, skipped.size(), skipped.toString());
        assertTrue(skipped.get(0).startsWith("5: the mean loss since the last checkpoint, "), skipped.get(0));
        assertFalse(CheckpointState.exists(dir));
    }

    @Test
    void withoutAResumableIteratorThePositionIsUnknown(@TempDir Path dir) throws Exception {
        ComputationGraph net = Digits.network(SEED);
        net.setListeners(ResumableCheckpointListener.builder().directory(dir).every(20).build());
        net.fit(Digits.batches(SEED).build(), 2);
        ResumableCheckpointListener.Resumed r = ResumableCheckpointListener.resume(dir);
        assertNull(r.position());
        assertEquals(1, r.state().epoch(), "DL4J's epoch counter at iteration 20");
        assertThrows(IllegalStateException.class, () -> r.iterator(Digits.batches(SEED)));
    }

    /**
     * What DL4J's own CheckpointListener saves from iterationDone: the network with its iteration counter one step
     * behind the steps it has trained (the class comment's claim), where ours holds the steps done.
     */
    @Test
    void dl4jsCheckpointListenerSavesTheCounterOneStepBehind(@TempDir Path dir) throws Exception {
        Path theirs = Files.createDirectories(dir.resolve("dl4j"));
        Path ours = dir.resolve("ours");
        ComputationGraph net = Digits.network(SEED);
        ClassBalancedDataSetIterator train = Digits.batches(SEED).build();
        net.setListeners(new CheckpointListener.Builder(theirs.toFile()).saveEveryNIterations(5).keepLast(1).build(),
                ResumableCheckpointListener.builder().directory(ours).every(11).iterator(train).build());
        net.fit(train, 1);
        ComputationGraph dl4j = CheckpointListener.loadLastCheckpointCG(theirs.toFile());
        ComputationGraph rll4j = ResumableCheckpointListener.resume(ours).network();
        assertArrayEquals(dl4j.params().toFloatVector(), rll4j.params().toFloatVector(), "both hold the weights of 11 steps");
        assertEquals(11, rll4j.getIterationCount());
        assertEquals(10, dl4j.getIterationCount(), "DL4J's counter says 10");
    }
}
