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
 * CUB-200-2011 fixture in the real layout: 4 classes of 2 images. Image files are empty, since the
 * reader only checks that they exist.
 */
class CubReaderTest {

    private static final String[] IMAGES = {
        "1 001.Albatross/a1.jpg", "2 001.Albatross/a2.jpg",
        "3 002.Auklet/b1.jpg", "4 002.Auklet/b2.jpg",
        "5 003.Blackbird/c1.jpg", "6 003.Blackbird/c2.jpg",
        "7 004.Bunting/d1.jpg", "8 004.Bunting/d2.jpg"};
    private static final String[] LABELS = {"1 1", "2 1", "3 2", "4 2", "5 3", "6 3", "7 4", "8 4"};

    @TempDir
    Path root;
    private Path images;
    private Path labels;

    @BeforeEach
    void writeFixture() throws IOException {
        images = write(root.resolve("images.txt"), IMAGES);
        labels = write(root.resolve("image_class_labels.txt"), LABELS);
        for (String line : IMAGES) {
            touch(root.resolve("images").resolve(line.split(" ")[1]));
        }
    }

    @Test
    void readsRecordsInListOrderWithFolderClassNames() throws IOException {
        ImageList all = CubReader.read(root);
        assertEquals(8, all.size());
        assertEquals(root.resolve("images/001.Albatross/a1.jpg"), all.get(0).path());
        assertEquals(root.resolve("images/004.Bunting/d2.jpg"), all.get(7).path());
        assertEquals(List.of("001.Albatross", "001.Albatross", "002.Auklet", "002.Auklet", "003.Blackbird",
                "003.Blackbird", "004.Bunting", "004.Bunting"), classNamesOf(all));
        assertEquals(List.of("001.Albatross", "002.Auklet", "003.Blackbird", "004.Bunting"), all.labels().classNames());
        assertEquals("CUB-200-2011 at " + root, all.origin());
    }

    @Test
    void standardSplitIsFirstHalfOfClassIdsAndEqualsHalves() throws IOException {
        ClassSplit split = CubReader.standardSplit(root);
        assertEquals(List.of("001.Albatross", "002.Auklet"), split.train().labels().classNames());
        assertEquals(List.of("003.Blackbird", "004.Bunting"), split.test().labels().classNames());
        assertEquals(4, split.train().size());
        assertEquals(4, split.test().size());
        assertDisjoint(split.train(), split.test());
        assertEquals("CUB-200-2011 at " + root + " [train: class_id 1-2]", split.train().origin());
        assertEquals("CUB-200-2011 at " + root + " [test: class_id 3-4]", split.test().origin());
        ClassSplit halves = ClassSplit.halves(CubReader.read(root));
        assertEquals(split.train().records(), halves.train().records());
        assertEquals(split.test().records(), halves.test().records());
    }

    @Test
    void standardSplitFollowsClassIdsEvenWhenFolderNamesSortOtherwise() throws IOException {
        write(images, "1 zebra/a.jpg", "2 apple/b.jpg", "3 mango/c.jpg");
        write(labels, "1 1", "2 2", "3 3");
        for (String f : List.of("zebra/a.jpg", "apple/b.jpg", "mango/c.jpg")) {
            touch(root.resolve("images").resolve(f));
        }
        ClassSplit split = CubReader.standardSplit(root);
        assertEquals(List.of("zebra"), split.train().labels().classNames());
        assertEquals(List.of("apple", "mango"), split.test().labels().classNames());
    }

    @Test
    void missingImageFileFails() throws IOException {
        Files.delete(root.resolve("images/002.Auklet/b2.jpg"));
        Files.delete(root.resolve("images/004.Bunting/d1.jpg"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(images + " line 4: image file must exist, found none at " + root.resolve("images/002.Auklet/b2.jpg")
                + " (2 of 8 listed images are missing); the CUB-200-2011 install is incomplete: extract "
                + "CUB_200_2011.tgz again so that every image listed in images.txt exists under " + root.resolve("images"),
                e.getMessage());
    }

    @Test
    void lineWithWrongColumnCountFails() throws IOException {
        write(images, "1 001.Albatross/a1.jpg", "2 001.Albatross/a 2.jpg");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(images + " line 2: line must have 2 whitespace-separated fields '<image_id> <class folder>/<file>',"
                + " found 3: '2 001.Albatross/a 2.jpg'", e.getMessage());
    }

    @Test
    void nonIntegerImageIdFails() throws IOException {
        write(images, "1 001.Albatross/a1.jpg", "", "x2 001.Albatross/a2.jpg");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(images + " line 3: image_id must be a non-negative integer, found 'x2'", e.getMessage());
    }

    @Test
    void nonIntegerClassIdFails() throws IOException {
        write(labels, "1 1", "2 1", "3 2.0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(labels + " line 3: class_id must be a non-negative integer, found '2.0'", e.getMessage());
    }

    @Test
    void pathWithoutClassFolderFails() throws IOException {
        write(images, "1 a1.jpg");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(images + " line 1: path must be '<class folder>/<file>', found 'a1.jpg'", e.getMessage());
    }

    @Test
    void imageIdMissingFromLabelFileFails() throws IOException {
        write(labels, "1 1", "2 1", "3 2", "4 2", "5 3", "7 4");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(images + " line 6: image_id 6 must also be listed in " + labels + ", found no line for it (2 of 8 "
                + "image ids are missing there); the two files must list the same image ids: restore both from "
                + "CUB_200_2011.tgz", e.getMessage());
    }

    @Test
    void imageIdMissingFromImageFileFails() throws IOException {
        write(labels, "1 1", "2 1", "3 2", "4 2", "5 3", "6 3", "7 4", "8 4", "9 4");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(labels + " line 9: image_id 9 must also be listed in " + images + ", found no line for it (1 of 9 "
                + "image ids are missing there); the two files must list the same image ids: restore both from "
                + "CUB_200_2011.tgz", e.getMessage());
    }

    @Test
    void duplicateImageIdFails() throws IOException {
        write(images, "1 001.Albatross/a1.jpg", "2 001.Albatross/a2.jpg", "1 002.Auklet/b1.jpg");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(images + " line 3: image_id must be unique, found 1 again (first on line 1)", e.getMessage());
    }

    @Test
    void duplicateIdInLabelFileFails() throws IOException {
        write(labels, "1 1", "2 1", "2 2");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(labels + " line 3: image_id must be unique, found 2 again (first on line 2)", e.getMessage());
    }

    @Test
    void duplicatePathFails() throws IOException {
        write(images, "1 001.Albatross/a1.jpg", "2 001.Albatross/a1.jpg");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(images + " line 2: image path must be unique, found " + root.resolve("images/001.Albatross/a1.jpg")
                + " again (first on line 1)", e.getMessage());
    }

    @Test
    void classIdWithTwoFoldersFails() throws IOException {
        write(labels, "1 1", "2 1", "3 1", "4 2", "5 3", "6 3", "7 4", "8 4");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(images + " line 3: class folder of image_id 3 must be '001.Albatross' like the other images of "
                + "class_id 1 (line 1), found '002.Auklet'", e.getMessage());
    }

    @Test
    void folderWithTwoClassIdsFails() throws IOException {
        write(labels, "1 1", "2 9", "3 2", "4 2", "5 3", "6 3", "7 4", "8 4");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(images + " line 2: class_id of image_id 2 in " + labels + " must be 1 like the other images in "
                + "folder '001.Albatross' (line 1), found 9", e.getMessage());
    }

    @Test
    void emptyImageListFails() throws IOException {
        write(images, "", "  ");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(images + ": list file must list at least one image, found no image lines", e.getMessage());
    }

    @Test
    void emptyLabelFileFails() throws IOException {
        write(labels);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.read(root));
        assertEquals(labels + ": list file must list at least one image, found no image lines", e.getMessage());
    }

    @Test
    void missingListFileFails() throws IOException {
        Files.delete(labels);
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> CubReader.read(root));
        assertEquals(labels + ": list file must exist, found none; pass the CUB_200_2011 folder that holds images.txt, "
                + "image_class_labels.txt and images/", e.getMessage());
    }

    @Test
    void splitNeedsTwoClasses() throws IOException {
        write(images, "1 001.Albatross/a1.jpg");
        write(labels, "1 1");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CubReader.standardSplit(root));
        assertEquals("a class-disjoint split needs at least 2 classes, CUB-200-2011 at " + root + " has 1",
                e.getMessage());
    }
}
