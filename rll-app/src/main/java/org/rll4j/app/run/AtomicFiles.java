package org.rll4j.app.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes files so that a reader (or a run killed mid-write) sees either the old file or the complete
 * new one: the content goes to a temporary file in the same folder, which is then renamed over the
 * target.
 */
public final class AtomicFiles {

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
     * @throws IOException when writing or renaming fails; the target is unchanged then
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            writer.write(tmp);
            rename(tmp, target, true);
        } finally {
            Files.deleteIfExists(tmp);
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
}
