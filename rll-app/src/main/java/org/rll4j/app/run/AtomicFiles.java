package org.rll4j.app.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
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
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
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
