package org.rll4j.listeners;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.CopyOption;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;

/**
 * Writes files so that a reader, a run killed mid-write or a machine that loses power sees either
 * the old file or the complete new one: the content goes to a hidden temporary file in the same folder
 * ({@code .NAME.<random>.tmp}), which is flushed to disk (fsync), renamed over the target, and the
 * folder is flushed too, so that the rename itself survives a crash. A kill between the two leaves a
 * temporary file behind; {@link #removeLeftovers(Path)} clears them.
 *
 * <p>The one atomic write of rll4j: the listeners' checkpoints and best models, and every file the rll4j runner
 * writes (its run directory's models, metrics, reports and configuration), go through it.
 */
public final class AtomicFiles {

    private static final String TMP_SUFFIX = ".tmp";

    private AtomicFiles() {
    }

    /** Writes the content of a file given its (temporary) path. */
    @FunctionalInterface
    public interface Writer {
        /**
         * @param temporary where to write
         * @throws IOException on failure (the target is left as it was)
         */
        void write(Path temporary) throws IOException;
    }

    /**
     * @param target the file to replace or create
     * @param writer writes the new content to the temporary path it is given
     * @throws IOException naming {@code target} (not the temporary file) when writing or renaming fails;
     *                     the target is unchanged then
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", TMP_SUFFIX);
        } catch (IOException e) {
            throw failure(target, e);
        }
        try {
            writer.write(tmp);
            sync(tmp);
            rename(tmp, target, true);
            sync(dir);
        } catch (IOException e) {
            throw failure(target, e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** An error about {@code target}: the user's path and the reason, never the hidden temporary file's name. */
    private static IOException failure(Path target, IOException e) {
        String why = reason(e);
        Path dir = target.toAbsolutePath().getParent();
        String hint = Files.isDirectory(dir) && !Files.isWritable(dir) ? " (the folder " + dir + " is not writable)" : "";
        return new IOException("cannot write " + target + ": " + why + hint, e);
    }

    /**
     * Why a file operation failed, in words, without the path the exception names when that is a
     * temporary or intermediate one (the caller names the user's path).
     *
     * @param e the failure
     * @return e.g. {@code "permission denied"}
     */
    public static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException f) {
            return f.getFile() + " is in the way: it is a file, not a folder";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Flushes a file's (or, on Linux and macOS, a folder's) content to the storage device. */
    static void sync(Path path) throws IOException {
        boolean folder = Files.isDirectory(path);
        try (FileChannel ch = FileChannel.open(path, folder ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            if (!folder) {
                throw e;
            }
            // some platforms cannot open or sync a folder; the file itself is synced
        }
    }

    /**
     * Renames a finished temporary file or folder to its final name in the same folder: atomically
     * where the file system can, else a plain move.
     *
     * @param from the temporary path
     * @param to the final path
     * @param replace whether an existing {@code to} (a file) is replaced; otherwise the move fails if it exists
     * @throws IOException when the move fails
     */
    public static void rename(Path from, Path to, boolean replace) throws IOException {
        CopyOption[] plain = replace ? new CopyOption[] {StandardCopyOption.REPLACE_EXISTING} : new CopyOption[0];
        CopyOption[] atomic = replace
                ? new CopyOption[] {StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING}
                : new CopyOption[] {StandardCopyOption.ATOMIC_MOVE};
        try {
            Files.move(from, to, atomic);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, plain);
        }
    }

    /** Writes UTF-8 text atomically. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
    }

    /** Writes bytes atomically. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, tmp -> Files.write(tmp, bytes));
    }

    /**
     * Writes a network as DL4J's {@link ModelSerializer} does (a zip of its configuration, parameters and, if asked,
     * updater state), atomically: a kill mid-write leaves the previous file, never a truncated zip.
     *
     * @param target the zip to write
     * @param model a {@code ComputationGraph} or {@code MultiLayerNetwork}
     * @param withUpdater whether the updater state goes in too (to continue training from it)
     * @throws IOException naming {@code target} when writing fails
     */
    public static void writeModel(Path target, Model model, boolean withUpdater) throws IOException {
        write(target, tmp -> ModelSerializer.writeModel(model, tmp.toFile(), withUpdater));
    }

    /** Deletes a file or a folder with everything in it; nothing when it does not exist. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Deletes the temporary files that writes killed midway left in {@code dir} (not in sub-folders).
     * Only for a folder no other process writes to (a locked run directory).
     *
     * @return the files deleted
     */
    public static List<Path> removeLeftovers(Path dir) throws IOException {
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return removed;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(".") && n.endsWith(TMP_SUFFIX) && Files.isRegularFile(p)) {
                    Files.deleteIfExists(p);
                    removed.add(p);
                }
            }
        }
        return removed;
    }
}
