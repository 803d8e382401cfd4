package org.rll4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.rll4j.data.ListFixtures.assertDisjoint;
import static org.rll4j.data.ListFixtures.classNamesOf;
import static org.rll4j.data.ListFixtures.touch;
import static org.rll4j.data.ListFixtures.write;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stanford Online Products fixture in the real layout: train classes 1 and 2, test classes 9 and 10 (so
 * that zero-padding shows), 2 images each. Image files are empty, since the reader only checks that
 * they exist.
 */
class SopReaderTest {

    private static final String H = SopReader.HEADER;
    private static final String[] TRAIN = {H,
        "1 1 1 bicycle_final/111_0.JPG", "2 1 1 bicycle_final/111_1.JPG",
        "3 2 1 bicycle_final/222_0.JPG", "4 2 1 bicycle_final/222_1.JPG"};
    private static final String[] TEST = {H,
        "5 9 2 chair_final/999_0.JPG", "6 9 2 chair_final/999_1.JPG",
        "7 10 2 chair_final/100_0.JPG", "8 10 2 chair_final/100_1.JPG"};

    @TempDir
    Path root;
    private Path train;
    private Path test;

    @BeforeEach
    void writeFixture() throws IOException {
        train = write(root.resolve("Ebay_train.txt"), TRAIN);
        test = write(root.resolve("Ebay_test.txt"), TEST);
        for (String[] list : List.of(TRAIN, TEST)) {
            for (int i = 1; i < list.length; i++) {
                touch(root.resolve(list[i].split(" ")[3]));
            }
        }
    }

    @Test
    void readsOfficialSplitWithZeroPaddedClassIds() throws IOException {
        ClassSplit split = SopReader.read(root);
        assertEquals(List.of("01", "01", "02", "02"), classNamesOf(split.train()));
        assertEquals(List.of("09", "09", "10", "10"), classNamesOf(split.test()));
        assertEquals(List.of("09", "10"), split.test().labels().classNames());
        assertEquals(root.resolve("bicycle_final/111_0.JPG"), split.train().get(0).path());
        assertEquals(root.resolve("chair_final/100_1.JPG"), split.test().get(3).path());
        assertDisjoint(split.train(), split.test());
        assertEquals("Stanford Online Products at " + root + " [train: Ebay_train.txt]", split.train().origin());
        assertEquals("Stanford Online Products at " + root + " [test: Ebay_test.txt]", split.test().origin());
    }

    @Test
    void classInBothFilesFails() throws IOException {
        write(test, H, "5 9 2 chair_final/999_0.JPG", "6 2 2 chair_final/999_1.JPG");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SopReader.read(root));
        assertEquals(test + " line 3: class_id must be in only one of Ebay_train.txt and Ebay_test.txt (the official "
                + "split is class-disjoint), found 2 in both (also " + train + " line 4)", e.getMessage());
    }

    @Test
    void missingImageFileFails() throws IOException {
        Files.delete(root.resolve("chair_final/100_0.JPG"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SopReader.read(root));
        assertEquals(test + " line 4: image file must exist, found none at " + root.resolve("chair_final/100_0.JPG")
                + " (1 of 4 listed images are missing); the Stanford Online Products install is incomplete: extract "
                + "Stanford_Online_Products.zip again so that every image listed in Ebay_train.txt and Ebay_test.txt "
                + "exists under " + root, e.getMessage());
    }

    @Test
    void lineWithWrongColumnCountFails() throws IOException {
        write(train, H, "1 1 bicycle_final/111_0.JPG");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SopReader.read(root));
        assertEquals(train + " line 2: line must have 4 whitespace-separated fields '<image_id> <class_id> "
                + "<super_class_id> <path>', found 3: '1 1 bicycle_final/111_0.JPG'", e.getMessage());
    }

    @Test
    void nonIntegerClassIdFails() throws IOException {
        write(train, H, "1 one 1 bicycle_final/111_0.JPG");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SopReader.read(root));
        assertEquals(train + " line 2: class_id must be a non-negative integer, found 'one'", e.getMessage());
    }

    @Test
    void nonIntegerSuperClassIdFails() throws IOException {
        write(train, H, "1 1 -1 bicycle_final/111_0.JPG");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SopReader.read(root));
        assertEquals(train + " line 2: super_class_id must be a non-negative integer, found '-1'", e.getMessage());
    }

    @Test
    void wrongHeaderFails() throws IOException {
        write(train, "1 1 1 bicycle_final/111_0.JPG");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SopReader.read(root));
        assertEquals(train + " line 1: header must be 'image_id class_id super_class_id path', found "
                + "'1 1 1 bicycle_final/111_0.JPG'", e.getMessage());
    }

    @Test
    void duplicateImageIdInOneFileFails() throws IOException {
        write(train, H, "1 1 1 bicycle_final/111_0.JPG", "1 1 1 bicycle_final/111_1.JPG");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SopReader.read(root));
        assertEquals(train + " line 3: image_id must be unique, found 1 again (first on line 2)", e.getMessage());
    }

    @Test
    void duplicateImageIdAcrossFilesFails() throws IOException {
        write(test, H, "5 9 2 chair_final/999_0.JPG", "3 9 2 chair_final/999_1.JPG");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SopReader.read(root));
        assertEquals(test + " line 3: image_id must be unique, found 3 again (first on " + train + " line 4)",
                e.getMessage());
    }

    @Test
    void duplicatePathAcrossFilesFails() throws IOException {
        write(test, H, "5 9 2 chair_final/999_0.JPG", "6 9 2 bicycle_final/111_0.JPG");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SopReader.read(root));
        assertEquals(test + " line 3: image path must be unique, found " + root.resolve("bicycle_final/111_0.JPG")
                + " again (first on " + train + " line 2)", e.getMessage());
    }

    @Test
    void emptyListFileFails() throws IOException {
        write(test);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SopReader.read(root));
        assertEquals(test + ": list file must list at least one image, found an empty file", e.getMessage());
    }

    @Test
    void headerOnlyListFileFails() throws IOException {
        write(test, H, "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SopReader.read(root));
        assertEquals(test + ": list file must list at least one image, found only the header", e.getMessage());
    }

    @Test
    void missingListFileFails() throws IOException {
        Files.delete(test);
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SopReader.read(root));
        assertEquals(test + ": list file must exist, found none; pass the Stanford_Online_Products folder that holds "
                + "Ebay_train.txt, Ebay_test.txt and the image folders (bicycle_final/, ...)", e.getMessage());
    }
}
