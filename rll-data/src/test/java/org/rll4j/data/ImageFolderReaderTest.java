package org.rll4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {

    @Test
    void readsClassFoldersSortedAndSkipsBadEntriesWithReasons(@TempDir Path root) throws Exception {
        TestImages.rgb(root.resolve("cat/b.png"), 20, 10, 1, "png");
        TestImages.rgb(root.resolve("cat/a.jpg"), 20, 10, 2, "jpg");
        TestImages.grey(root.resolve("dog/x.png"), 8, 8, 100);
        TestImages.rgba(root.resolve("dog/y.PNG"), 8, 8, 0xff0000, 128);
        TestImages.rgb(root.resolve("ant/only.png"), 8, 8, 3, "png");              // a class with one image: kept
        Files.createDirectories(root.resolve("empty"));                             // empty class folder
        Files.createFile(root.resolve("dog/zero.png"));                             // zero bytes
        Files.writeString(root.resolve("dog/notes.txt"), "not an image");           // not an image
        Files.writeString(root.resolve("dog/fake.jpg"), "GIF89a...");               // wrong signature
        Files.writeString(root.resolve("README.md"), "hello");                      // file at the root
        Files.createDirectories(root.resolve("cat/nested"));                        // nested folder
        Files.writeString(root.resolve("cat/.DS_Store"), "x");                      // hidden

        ImageFolderReader.Result r = ImageFolderReader.read(root);
        ImageList list = r.images();
        assertEquals(List.of("ant", "cat", "dog"), list.labels().classNames());
        assertEquals(List.of("ant/only.png", "cat/a.jpg", "cat/b.png", "dog/x.png", "dog/y.PNG"),
                list.records().stream().map(x -> root.relativize(x.path()).toString()).toList());
        assertEquals(List.of(0, 1, 1, 2, 2), java.util.Arrays.stream(list.labels().labels()).boxed().toList());
        List<String> skipped = r.skipped();
        assertEquals(7, skipped.size(), skipped.toString());
        assertHas(skipped, root.resolve("dog/zero.png") + ": empty file (0 bytes)");
        assertHas(skipped, root.resolve("dog/notes.txt") + ": not a JPEG or PNG file (by its first bytes)");
        assertHas(skipped, root.resolve("dog/fake.jpg") + ": not a JPEG or PNG file (by its first bytes)");
        assertHas(skipped, root.resolve("empty") + ": class folder without images: the class is left out");
        assertHas(skipped, root.resolve("README.md") + ": a file directly under the dataset root (images belong in class folders)");
        assertHas(skipped, root.resolve("cat/nested") + ": a folder inside a class folder (nested folders are not read)");
        assertHas(skipped, root.resolve("cat/.DS_Store") + ": hidden entry");
    }

    @Test
    void brokenSymbolicLinksAreSkippedAndGoodOnesFollowed(@TempDir Path root) throws Exception {
        TestImages.rgb(root.resolve("cat/a.png"), 8, 8, 1, "png");
        TestImages.rgb(root.resolve("dog/a.png"), 8, 8, 2, "png");
        Files.createSymbolicLink(root.resolve("cat/dangling.png"), root.resolve("cat/gone.png"));
        Files.createSymbolicLink(root.resolve("cat/loop1.png"), root.resolve("cat/loop2.png"));
        Files.createSymbolicLink(root.resolve("cat/loop2.png"), root.resolve("cat/loop1.png"));
        Files.createSymbolicLink(root.resolve("cat/link.png"), root.resolve("dog/a.png"));      // followed
        Files.createSymbolicLink(root.resolve("ghost"), root.resolve("no-such-class"));          // class link to nothing
        Files.createSymbolicLink(root.resolve("dog/up"), root);                                 // a loop through folders

        ImageFolderReader.Result r = ImageFolderReader.read(root);
        assertEquals(List.of("cat/a.png", "cat/link.png", "dog/a.png"),
                r.images().records().stream().map(x -> root.relativize(x.path()).toString()).toList());
        List<String> skipped = r.skipped();
        assertEquals(5, skipped.size(), skipped.toString());
        String why = "that leads to no file (dangling, or a loop of links)";
        assertHas(skipped, root.resolve("cat/dangling.png") + ": symbolic link to " + root.resolve("cat/gone.png") + " " + why);
        assertHas(skipped, root.resolve("cat/loop1.png") + ": symbolic link to " + root.resolve("cat/loop2.png") + " " + why);
        assertHas(skipped, root.resolve("cat/loop2.png") + ": symbolic link to " + root.resolve("cat/loop1.png") + " " + why);
        assertHas(skipped, root.resolve("ghost") + ": symbolic link to " + root.resolve("no-such-class") + " " + why);
        assertHas(skipped, root.resolve("dog/up") + ": a folder inside a class folder (nested folders are not read)");
    }

    @Test
    void missingRootNamesIt(@TempDir Path dir) {
        Path missing = dir.resolve("nope");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> ImageFolderReader.read(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("one sub-folder per class"), e.getMessage());
    }

    @Test
    void rootWithoutImagesFailsWithAHint(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("a"));
        Files.writeString(root.resolve("a/x.txt"), "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageFolderReader.read(root));
        assertTrue(e.getMessage().startsWith("no JPEG or PNG images found in class folders under " + root), e.getMessage());
    }

    @Test
    void aFileAsRootIsRejected(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageFolderReader.read(file));
        assertTrue(e.getMessage().contains("found a file: " + file), e.getMessage());
    }

    private static void assertHas(List<String> lines, String expected) {
        assertTrue(lines.contains(expected), "missing '" + expected + "' in " + lines);
    }
}
