package org.rll4j.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes dataset fixtures for the reader tests. Image files are written empty: the readers only
 * check that a listed image exists and never decode it.
 */
final class ListFixtures {

    private ListFixtures() {
    }

    /** Writes {@code lines}, each followed by a newline, creating parent folders. */
    static Path write(Path file, String... lines) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.writeString(file, lines.length == 0 ? "" : String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    /** Creates an empty image file (and its folders). */
    static Path touch(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.write(file, new byte[0]);
    }

    /** The class names of a list, as a set. */
    static Set<String> classes(ImageList list) {
        return new HashSet<>(list.labels().classNames());
    }

    /** Asserts that no class is in both lists. */
    static void assertDisjoint(ImageList a, ImageList b) {
        Set<String> both = classes(a);
        both.retainAll(classes(b));
        org.junit.jupiter.api.Assertions.assertEquals(Set.of(), both, "classes in both parts");
    }

    /** The class name of every record. */
    static List<String> classNamesOf(ImageList list) {
        return list.records().stream().map(ImageRecord::className).toList();
    }
}
