package org.rll4j.listeners;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.DoubleSupplier;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.rll4j.sampler.ClassBalancedDataSetIterator;
import org.rll4j.sampler.ResumableIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes checkpoints a run can be resumed from exactly: every N iterations and/or at the end of every epoch, the
 * network with its updater state and a {@link CheckpointState} ({@code state.json}) with what a plain
 * {@code fit(iterator, epochs)} needs to continue as if it had never stopped: the iterations done, the training
 * iterator's position (epoch, batch) when it is a {@link ResumableIterator}, the best model's value and iteration
 * (from a {@link BestModelListener}), the mean loss since the previous checkpoint and the training time. Only the
 * latest checkpoint is kept. {@link #resume(Path)} restores the network and says where the iterator resumes:
 *
 * <pre>{@code
 * ResumableCheckpointListener checkpoints = ResumableCheckpointListener.builder()
 *         .directory(dir.resolve("checkpoint")).every(100)
 *         .iterator(train)                          // a ResumableIterator: its position is saved
 *         .guard(guard).bestModel(best)             // optional
 *         .build();
 * net.setListeners(guard, evaluation, checkpoints);
 * net.fit(train, epochs);
 * // ... after a crash, in a new process:
 * ResumableCheckpointListener.Resumed r = ResumableCheckpointListener.resume(dir.resolve("checkpoint"));
 * ComputationGraph net = r.network();
 * ClassBalancedDataSetIterator train = r.iterator(sameBuilderAsBefore);
 * net.setListeners(...);                            // the listeners again, best model and checkpoints resumeFrom(r.state())
 * net.fit(train, r.remainingEpochs(epochs));        // the same final weights as an uninterrupted fit
 * }</pre>
 *
 * <h2>When it runs and what it writes</h2>
 * <ul>
 *   <li>{@code iterationDone(model, iteration, epoch)}: every call adds the step's score to the mean loss; when
 *       {@code iteration + 1} (the steps done: DL4J calls it before incrementing its counter) is a multiple of
 *       {@link Builder#every(int)}, it writes a checkpoint of that many iterations. The network is saved with its
 *       counter at that number, so that a restored network continues with the next step's counter.</li>
 *   <li>{@code onEpochEnd} (with {@link Builder#atEpochEnd(boolean)}): after the epoch's last step, unless that
 *       iteration was just checkpointed.</li>
 *   <li>{@link #checkpoint(Model)}: on demand, e.g. after {@code fit} returns or when a loop stops.</li>
 * </ul>
 * Files, in {@link Builder#directory(Path)}: {@code model-<iteration, 8 digits>.zip} and {@code state.json}, each
 * written atomically ({@link AtomicFiles}); {@code state.json} is replaced last and is the commit, and the previous
 * model file is deleted after it (see {@link CheckpointState}). A kill at any moment leaves one consistent
 * checkpoint and at most a hidden temporary file or an unreferenced model file, which {@link #resume(Path)} (or
 * {@link #removeLeftovers(Path)}) deletes. With a {@link DivergenceGuardListener}, a network that is not fit to
 * resume from (a NaN or infinite parameter or loss, a mean loss above twice what the loss can reach) is not
 * checkpointed: the previous checkpoint stays the one to resume from, and the skip is logged (WARN) or given to
 * {@link Builder#onSkip(SkipHandler)}. Add this listener after the evaluation listener, so that a checkpoint holds
 * the best value of an evaluation of its own iteration.
 *
 * <h2>Resuming</h2>
 * {@link #resume(Path)} deletes leftovers of interrupted writes, reads the committed state, checks the model file
 * (its SHA-256, its iteration), restores the network with its updater state and sets its epoch counter to the
 * iterator's epoch (as in a run that counted epochs from 0 with both). An iterator built at
 * {@link Resumed#position()} ({@code firstEpoch}, {@code firstBatch} of rll4j's iterators; {@link Resumed#iterator}
 * does it for a {@link ClassBalancedDataSetIterator}) and {@code fit(iterator, r.remainingEpochs(total))} then train
 * exactly the steps the uninterrupted run would have (tested bit for bit). Without a resumable iterator the
 * position is unknown and the epoch in progress starts over. Not restored: the state of random number generators
 * (dropout masks differ after a resume) and other listeners' state.
 *
 * <h2>Compared with DL4J's {@code CheckpointListener}</h2>
 * Use DL4J's when a copy of the weights now and then is all you need. It is not enough to resume a run: it writes
 * the zip straight to its final name with {@code ModelSerializer} (a kill mid-write leaves a truncated zip as the
 * newest checkpoint), saves from {@code iterationDone} with the iteration counter one step behind (a restored
 * network's Adam bias correction and schedules then run one step off), and keeps no iterator position (the epoch
 * restarts with other batches), no best value and no guard against checkpointing a diverged network. Not
 * thread-safe: one listener per network.
 */
public final class ResumableCheckpointListener extends ScheduledListener {

    private static final Logger log = LoggerFactory.getLogger(ResumableCheckpointListener.class);

    /** Told that a checkpoint was not written. */
    @FunctionalInterface
    public interface SkipHandler {
        /**
         * @param iteration the iteration that was not checkpointed
         * @param problem why (from {@link DivergenceGuardListener#checkpointProblem})
         * @param last the checkpoint that stays the one to resume from, or null when there is none
         */
        void skipped(long iteration, String problem, CheckpointState last);
    }

    private final Path directory;
    private final ResumableIterator iterator;
    private final DivergenceGuardListener guard;
    private final BestModelListener best;
    private final String statsSession;
    private final DoubleSupplier seconds;
    private final CheckpointState.Companion alongside;
    private final SkipHandler onSkip;
    private CheckpointState last;
    private long lastAttempt = -1;
    private double lossSum;
    private long lossCount;

    private ResumableCheckpointListener(Builder b) {
        super(b.every, b.atEpochEnd);
        this.directory = Objects.requireNonNull(b.directory, "directory must be set");
        this.iterator = b.iterator;
        this.guard = b.guard;
        this.best = b.best;
        this.statsSession = b.statsSession;
        this.last = b.resumed;
        double before = b.resumed == null || Double.isNaN(b.resumed.seconds()) ? 0 : b.resumed.seconds();
        long start = System.nanoTime();
        this.seconds = b.seconds != null ? b.seconds : () -> before + (System.nanoTime() - start) / 1e9;
        this.alongside = b.alongside != null ? b.alongside : () -> { };
        this.onSkip = b.onSkip != null ? b.onSkip : (iteration, problem, previous) -> log.warn(
                "no checkpoint at iteration {}: {}; {}", iteration, problem, previous == null
                        ? "there is no earlier checkpoint" : "the checkpoint of iteration " + previous.iteration()
                        + " stays the one to resume from");
        if (b.resumed != null) {
            this.lastAttempt = b.resumed.iteration();
        }
    }

    /** A builder; the directory is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the checkpoint folder */
    public Path directory() {
        return directory;
    }

    /** @return the latest checkpoint written (or the one resumed from), or null before the first */
    public CheckpointState last() {
        return last;
    }

    /**
     * Adds the step's score to the mean loss and checkpoints when {@code iteration + 1} is on the schedule.
     *
     * @throws UncheckedIOException when writing fails (the previous checkpoint stays the committed one)
     */
    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        lossSum += model.score();
        lossCount++;
        super.iterationDone(model, iteration, epoch);
    }

    /** Checkpoints on the schedule (see the class comment). */
    @Override
    void act(Model model, long iterations, int epoch) throws IOException {
        checkpoint(model, iterations);
    }

    /**
     * Checkpoints the network now, at its iteration counter (after {@code fit}: the steps done). Nothing happens
     * when that iteration was checkpointed (or refused by the guard) already; after a failed write, it tries again.
     *
     * @return whether a checkpoint was written (false: already done, or refused by the guard)
     * @throws IOException naming the file when writing fails; the previous checkpoint stays the committed one
     */
    public boolean checkpoint(Model model) throws IOException {
        return checkpoint(model, Models.iterations(model));
    }

    private boolean checkpoint(Model model, long done) throws IOException {
        if (done == lastAttempt) {
            return false;
        }
        double loss = lossCount == 0 ? Double.NaN : lossSum / lossCount;
        String problem = guard == null ? null : guard.checkpointProblem(model, loss);
        if (problem != null) {
            startWindow(done);
            onSkip.skipped(done, problem, last);
            return false;
        }
        ResumableIterator.Position at = iterator == null ? null : iterator.resumePosition();
        CheckpointState state = new CheckpointState(done, at == null ? Models.epochs(model) : at.epoch(),
                at == null ? -1 : at.batchInEpoch(), seconds.getAsDouble(), best == null ? Double.NaN : best.bestValue(),
                best == null ? -1 : best.bestIteration(), statsSession, loss, null, null);
        last = state.write(directory, model, alongside);
        startWindow(done);
        log.info("checkpoint of iteration {} written to {}", done, last.modelFile(directory));
        return true;
    }

    /** This iteration is settled (written or refused): the mean loss starts over. */
    private void startWindow(long done) {
        lastAttempt = done;
        lossSum = 0;
        lossCount = 0;
    }

    /**
     * Deletes what interrupted writes left in a checkpoint folder: hidden temporary files, and model files that the
     * committed state does not name.
     *
     * @param directory the checkpoint folder
     * @return the files deleted
     * @throws IOException when listing or deleting fails
     */
    public static List<Path> removeLeftovers(Path directory) throws IOException {
        List<Path> removed = new ArrayList<>(AtomicFiles.removeLeftovers(directory));
        if (java.nio.file.Files.isDirectory(directory)) {
            removed.addAll(CheckpointState.removeUnreferencedModels(directory));
        }
        return removed;
    }

    /**
     * Resumes from the committed checkpoint of a folder: deletes leftovers of interrupted writes, reads the state,
     * checks and restores the network (updater state included) and sets its epoch counter to the saved epoch.
     *
     * @param directory the checkpoint folder
     * @return the state, the network and what was deleted
     * @throws java.nio.file.NoSuchFileException when there is no checkpoint
     * @throws IOException when the state or the model is unreadable, or the model is not the one the state names
     */
    public static Resumed resume(Path directory) throws IOException {
        List<Path> removed = removeLeftovers(directory);
        CheckpointState state = CheckpointState.read(directory);
        ComputationGraph net = state.restore(directory);
        net.getConfiguration().setEpochCount(Math.toIntExact(state.epoch()));
        return new Resumed(state, net, List.copyOf(removed));
    }

    /**
     * A checkpoint to continue from.
     *
     * @param state the committed state
     * @param network the restored network with its updater state, counters at the checkpoint's iteration and epoch
     * @param removed leftovers of interrupted writes that were deleted
     */
    public record Resumed(CheckpointState state, ComputationGraph network, List<Path> removed) {

        /** @return where the training iterator resumes, or null when the checkpoint does not know */
        public ResumableIterator.Position position() {
            return state.position();
        }

        /**
         * The epochs left of a {@code fit(iterator, total)}: the epoch in progress (if the checkpoint fell inside it,
         * its remaining batches) and those after it.
         *
         * @param total the epochs of the whole run
         * @return {@code total - epoch}, at least 0
         */
        public int remainingEpochs(int total) {
            return (int) Math.max(0, total - state.epoch());
        }

        /**
         * A {@link ClassBalancedDataSetIterator} at the checkpoint's position.
         *
         * @param builder the builder of the interrupted run's iterator (same data, C, K and seed)
         * @return the iterator, whose next batch is the one the interrupted run would have trained on next
         * @throws IllegalStateException when the checkpoint has no position (its iterator was not resumable)
         */
        public ClassBalancedDataSetIterator iterator(ClassBalancedDataSetIterator.Builder builder) {
            ResumableIterator.Position p = position();
            if (p == null) {
                throw new IllegalStateException("the checkpoint has no iterator position (the run's iterator was not a "
                        + "ResumableIterator); build the iterator from its start");
            }
            return builder.firstEpoch(p.epoch()).firstBatch(p.batchInEpoch()).build();
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ResumableCheckpointListener{directory=%s, every=%d, atEpochEnd=%s, iterator=%s}",
                directory, every(), atEpochEnd(), iterator == null ? "none" : iterator.getClass().getSimpleName());
    }

    /** Validating builder. */
    public static final class Builder {
        private Path directory;
        private int every;
        private boolean atEpochEnd;
        private ResumableIterator iterator;
        private DivergenceGuardListener guard;
        private BestModelListener best;
        private String statsSession;
        private DoubleSupplier seconds;
        private CheckpointState.Companion alongside;
        private SkipHandler onSkip;
        private CheckpointState resumed;

        private Builder() {
        }

        /** The checkpoint folder (required; created at the first checkpoint). Keep one run per folder. */
        public Builder directory(Path directory) {
            this.directory = directory;
            return this;
        }

        /** Checkpoints after every {@code n} training iterations, {@code >= 0}; default 0: not by iterations. */
        public Builder every(int n) {
            this.every = n;
            return this;
        }

        /** Checkpoints at the end of each epoch; default false. */
        public Builder atEpochEnd(boolean on) {
            this.atEpochEnd = on;
            return this;
        }

        /**
         * The training iterator, whose position is saved (optional; without it the position is unknown and a
         * resumed run starts the epoch over). It must be the iterator {@code fit} takes the batches from (not a
         * prefetching wrapper around it, which runs ahead).
         */
        public Builder iterator(ResumableIterator iterator) {
            this.iterator = iterator;
            return this;
        }

        /** Asked before each checkpoint whether the network is fit to resume from (optional). */
        public Builder guard(DivergenceGuardListener guard) {
            this.guard = guard;
            return this;
        }

        /** Whose best value and iteration each checkpoint saves (optional). */
        public Builder bestModel(BestModelListener best) {
            this.best = best;
            return this;
        }

        /** The DL4J stats session id to save, e.g. the {@code StatsListener}'s (optional). */
        public Builder statsSession(String sessionId) {
            this.statsSession = sessionId;
            return this;
        }

        /** The training time so far, in seconds (optional; default: since this listener was built, plus the resumed state's). */
        public Builder trainingSeconds(DoubleSupplier seconds) {
            this.seconds = seconds;
            return this;
        }

        /** Written with each checkpoint, before its commit (optional; e.g. the run's metrics, so that they match it). */
        public Builder alongside(CheckpointState.Companion alongside) {
            this.alongside = alongside;
            return this;
        }

        /** Told when the guard refuses a checkpoint (optional; default: a WARN log line). */
        public Builder onSkip(SkipHandler handler) {
            this.onSkip = handler;
            return this;
        }

        /**
         * Continues a run resumed from this checkpoint: {@link ResumableCheckpointListener#last()} starts at it, its training time goes on, and
         * its iteration is not checkpointed again.
         */
        public Builder resumeFrom(CheckpointState state) {
            this.resumed = state;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException when {@code every} is negative
         * @throws NullPointerException when the directory is not set
         */
        public ResumableCheckpointListener build() {
            return new ResumableCheckpointListener(this);
        }
    }
}
