package org.rll4j.app.run;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.rll4j.listeners.AtomicFiles;
import org.rll4j.listeners.ResumableCheckpointListener;

/**
 * A run directory owned by this process: {@code run.lock} in it is locked (an OS file lock, released
 * when the process ends, even by {@code kill -9}) for as long as the run trains, so a second
 * {@code train} or {@code --resume} into the same folder fails at once instead of rewriting its files.
 * A new run never lands in a folder that holds another run unless asked to replace it, nor in a folder
 * that holds anything else. The lock file stays in the folder (it holds who owned it last); only
 * the lock counts.
 */
public final class RunDirectory implements AutoCloseable {

    /** The lock file. */
    public static final String LOCK_FILE = "run.lock";

    /** The files a run writes (besides {@link #LOCK_FILE} and the checkpoint folder), replaced by {@code --overwrite}. */
    static final List<String> RUN_FILES = List.of(Trainer.CONFIG_FILE, Trainer.STATS_FILE, Trainer.FINAL_MODEL,
            Trainer.BEST_MODEL, Trainer.REPORT, Trainer.LOSS_PLOT, Trainer.METRICS_PLOT, "metrics.csv", "metrics.json",
            "loss.csv");

    private final Path dir;
    private final boolean created;
    private final FileChannel channel;
    private final FileLock lock;

    private RunDirectory(Path dir, boolean created, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.created = created;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes a folder for a new run: creates it if missing and locks it.
     *
     * @param dir the run directory
     * @param overwrite whether a finished or stopped run in {@code dir} may be replaced (its files are deleted)
     * @throws IOException naming the folder and what to do when it is a file, cannot be created, is in use,
     *                     holds a run (without {@code overwrite}) or holds other files
     */
    public static RunDirectory create(Path dir, boolean overwrite) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new FileAlreadyExistsException(dir.toString(), null,
                    "the run directory is a file, not a folder; give --run-dir a new or empty folder");
        }
        boolean created = !Files.exists(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot create the run directory " + dir + ": " + AtomicFiles.reason(e), e);
        }
        RunDirectory run = lock(dir, created);
        try {
            List<String> others = new ArrayList<>();
            try (Stream<Path> s = Files.list(dir)) {
                s.map(p -> p.getFileName().toString()).filter(n -> !n.equals(LOCK_FILE)).sorted().forEach(others::add);
            }
            if (!others.isEmpty()) {
                boolean isRun = others.contains(Trainer.CONFIG_FILE);
                if (!isRun) {
                    throw new FileAlreadyExistsException(dir.toString(), null, String.format(Locale.ROOT,
                            "the run directory is not empty and holds no run (%s); give --run-dir a new or empty folder",
                            String.join(", ", others.subList(0, Math.min(5, others.size()))) + (others.size() > 5 ? ", ..." : "")));
                }
                if (!overwrite) {
                    throw new FileAlreadyExistsException(dir.toString(), null, "the folder holds a run ("
                            + describe(dir) + "); resume it with train --resume " + dir + ", choose another --run-dir, or "
                            + "add --overwrite to replace it");
                }
                run.clear();
            }
            return run;
        } catch (IOException | RuntimeException e) {
            run.close();
            throw e;
        }
    }

    /**
     * Takes the folder of an existing run (to resume it) and locks it.
     *
     * @throws IOException when it is missing or in use
     */
    public static RunDirectory open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no run directory to resume");
        }
        if (!Files.isRegularFile(dir.resolve(Trainer.CONFIG_FILE))) {
            throw new NoSuchFileException(dir.resolve(Trainer.CONFIG_FILE).toString(), null,
                    "not a run directory written by ./rll train (it has no " + Trainer.CONFIG_FILE + ")");
        }
        return lock(dir, false);
    }

    private static RunDirectory lock(Path dir, boolean created) throws IOException {
        Path file = dir.resolve(LOCK_FILE);
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException("cannot open the lock file " + file + ": " + AtomicFiles.reason(e), e);
        }
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this very process
        }
        if (lock == null) {
            String owner = owner(ch);
            ch.close();
            throw new IOException("the run directory " + dir + " is in use by another training process"
                    + (owner.isEmpty() ? "" : " (" + owner + ")") + "; wait for it to end, or choose another --run-dir");
        }
        String who = String.format(Locale.ROOT, "pid %d on %s, since %s", ProcessHandle.current().pid(), host(), Instant.now());
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((who + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        ch.force(true);
        return new RunDirectory(dir, created, ch, lock);
    }

    private static String owner(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(256);
            int n = ch.read(b, 0);
            return n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static String host() {
        String name = ManagementFactory.getRuntimeMXBean().getName(); // pid@host
        int at = name.indexOf('@');
        return at >= 0 ? name.substring(at + 1) : "this machine";
    }

    /** A one-line state of the run in {@code dir}: finished, or stopped at iteration N, or started without a checkpoint. */
    static String describe(Path dir) {
        if (Files.exists(dir.resolve(Trainer.FINAL_MODEL))) {
            return "finished, " + Trainer.FINAL_MODEL + " written";
        }
        try {
            return Checkpoint.exists(dir) ? "stopped at iteration " + Checkpoint.read(dir).iteration() : "no checkpoint yet";
        } catch (IOException e) {
            return "its checkpoint cannot be read";
        }
    }

    /** Deletes the run's files and checkpoint (for {@code --overwrite}). */
    private void clear() throws IOException {
        for (String f : RUN_FILES) {
            Files.deleteIfExists(dir.resolve(f));
        }
        AtomicFiles.deleteTree(Checkpoint.folder(dir));
        AtomicFiles.removeLeftovers(dir);
    }

    /** The folder. */
    public Path path() {
        return dir;
    }

    /**
     * Deletes what temporary files killed writes left in the run directory and its checkpoint folder,
     * and checkpoint models that no checkpoint state names.
     *
     * @return the files deleted
     */
    public List<Path> removeLeftovers() throws IOException {
        List<Path> removed = new ArrayList<>(AtomicFiles.removeLeftovers(dir));
        removed.addAll(ResumableCheckpointListener.removeLeftovers(Checkpoint.folder(dir)));
        return removed;
    }

    /**
     * After a start that failed before its first checkpoint: deletes the run directory when this
     * process created it (nothing of value is in it), so that a failed start leaves nothing behind.
     *
     * @return whether it was deleted
     */
    public boolean discardIfNew() {
        if (!created || Checkpoint.exists(dir)) {
            return false;
        }
        close();
        try {
            AtomicFiles.deleteTree(dir);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Releases the lock (the lock file stays). */
    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
        } catch (IOException e) {
            // the lock goes with the process anyway
        }
    }
}
