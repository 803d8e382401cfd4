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
 * In-Shop fixture in the real format (count line, header, space-padded columns): 2 train items, 2 test
 * items with query and gallery images. Image files are empty, since the reader only checks that they
 * exist.
 */
class InShopReaderTest {

    private static final String H = InShopReader.HEADER;
    private static final String[] ROWS = {
        "img/WOMEN/Dresses/id_00000002/02_1_front.jpg         id_00000002  train",
        "img/WOMEN/Dresses/id_00000002/02_2_side.jpg          id_00000002  train",
        "img/MEN/Denim/id_00000007/01_1_front.jpg             id_00000007  train",
        "img/MEN/Denim/id_00000007/01_2_side.jpg              id_00000007  train",
        "img/WOMEN/Skirts/id_00000010/01_1_front.jpg          id_00000010  query",
        "img/WOMEN/Skirts/id_00000010/01_2_side.jpg           id_00000010  gallery",
        "img/WOMEN/Skirts/id_00000010/01_3_back.jpg           id_00000010  gallery",
        "img/MEN/Shirts/id_00000011/03_1_front.jpg            id_00000011  query",
        "img/MEN/Shirts/id_00000011/03_2_side.jpg             id_00000011  gallery"};

    @TempDir
    Path root;
    private Path list;

    @BeforeEach
    void writeFixture() throws IOException {
        list = writeList(Integer.toString(ROWS.length), H, ROWS);
        for (String row : ROWS) {
            touch(root.resolve(row.split("\\s+")[0]));
        }
    }

    private Path writeList(String count, String header, String... rows) throws IOException {
        String[] lines = new String[rows.length + 2];
        lines[0] = count;
        lines[1] = header;
        System.arraycopy(rows, 0, lines, 2, rows.length);
        return write(root.resolve("list_eval_partition.txt"), lines);
    }

    @Test
    void readsTrainQueryAndGalleryInListOrder() throws IOException {
        InShopSplit split = InShopReader.read(root);
        assertEquals(List.of("id_00000002", "id_00000002", "id_00000007", "id_00000007"), classNamesOf(split.train()));
        assertEquals(List.of("id_00000010", "id_00000011"), classNamesOf(split.query()));
        assertEquals(List.of("id_00000010", "id_00000010", "id_00000011"), classNamesOf(split.gallery()));
        assertEquals(root.resolve("img/WOMEN/Dresses/id_00000002/02_1_front.jpg"), split.train().get(0).path());
        assertEquals(root.resolve("img/MEN/Shirts/id_00000011/03_2_side.jpg"), split.gallery().get(2).path());
        assertEquals(split.query().labels().classNames(), split.gallery().labels().classNames());
        assertDisjoint(split.train(), split.query());
        assertDisjoint(split.train(), split.gallery());
        assertEquals("In-Shop at " + list + " [query]", split.query().origin());
    }

    @Test
    void listFileAndImageRootMayBeApart() throws IOException {
        Path eval = Files.createDirectories(root.resolve("Eval"));
        Path moved = Files.move(list, eval.resolve("list_eval_partition.txt"));
        InShopSplit split = InShopReader.read(moved, root);
        assertEquals(4, split.train().size());
        assertEquals(root.resolve("img/MEN/Shirts/id_00000011/03_1_front.jpg"), split.query().get(1).path());
    }

    @Test
    void itemInTrainAndTestFails() throws IOException {
        writeList("3", H, ROWS[0], ROWS[4], "img/WOMEN/Skirts/id_00000010/01_2_side.jpg id_00000002 gallery");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InShopReader.read(root));
        assertEquals(list + " line 5: item_id must be either a train item or a query/gallery item (the split is "
                + "class-disjoint), found id_00000002 as 'gallery' here and as 'train' on line 3", e.getMessage());
    }

    @Test
    void missingImageFileFails() throws IOException {
        Files.delete(root.resolve("img/WOMEN/Skirts/id_00000010/01_3_back.jpg"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InShopReader.read(root));
        assertEquals(list + " line 9: image file must exist, found none at "
                + root.resolve("img/WOMEN/Skirts/id_00000010/01_3_back.jpg") + " (1 of 9 listed images are missing); the "
                + "In-Shop install is incomplete: extract img.zip again under " + root + " so that every image listed in "
                + "list_eval_partition.txt exists", e.getMessage());
    }

    @Test
    void lineWithWrongColumnCountFails() throws IOException {
        writeList("2", H, ROWS[0], "img/WOMEN/Skirts/id_00000010/01_1_front.jpg query");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InShopReader.read(root));
        assertEquals(list + " line 4: line must have 3 whitespace-separated fields '<image_name> <item_id> "
                + "<evaluation_status>', found 2: 'img/WOMEN/Skirts/id_00000010/01_1_front.jpg query'", e.getMessage());
    }

    @Test
    void unknownStatusFails() throws IOException {
        writeList("2", H, ROWS[0], "img/WOMEN/Skirts/id_00000010/01_1_front.jpg id_00000010 test");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InShopReader.read(root));
        assertEquals(list + " line 4: evaluation_status must be train, query or gallery, found 'test'", e.getMessage());
    }

    @Test
    void nonIntegerCountFails() throws IOException {
        writeList("many", H, ROWS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InShopReader.read(root));
        assertEquals(list + " line 1: image count must be a non-negative integer, found 'many'", e.getMessage());
    }

    @Test
    void countThatDiffersFromLinesFails() throws IOException {
        writeList("52712", H, ROWS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InShopReader.read(root));
        assertEquals(list + " line 1: image count must be the number of image lines, 9, found 52712", e.getMessage());
    }

    @Test
    void wrongHeaderFails() throws IOException {
        writeList("9", "image_name item_id status", ROWS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InShopReader.read(root));
        assertEquals(list + " line 2: header must be 'image_name item_id evaluation_status', found "
                + "'image_name item_id status'", e.getMessage());
    }

    @Test
    void duplicateImageNameFails() throws IOException {
        writeList("3", H, ROWS[0], ROWS[4], ROWS[0]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InShopReader.read(root));
        assertEquals(list + " line 5: image_name must be unique, found "
                + root.resolve("img/WOMEN/Dresses/id_00000002/02_1_front.jpg") + " again (first on line 3)",
                e.getMessage());
    }

    @Test
    void missingQueryPartFails() throws IOException {
        writeList("2", H, ROWS[0], ROWS[5]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InShopReader.read(root));
        assertEquals(list + ": list file must list at least one 'query' image, found none", e.getMessage());
    }

    @Test
    void emptyListFileFails() throws IOException {
        write(list);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InShopReader.read(root));
        assertEquals(list + ": list file must list at least one image, found an empty file", e.getMessage());
    }

    @Test
    void listWithoutImageLinesFails() throws IOException {
        writeList("0", H);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InShopReader.read(root));
        assertEquals(list + ": list file must list at least one image, found only the image count and the header",
                e.getMessage());
    }

    @Test
    void missingListFileFails() throws IOException {
        Files.delete(list);
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> InShopReader.read(root));
        assertEquals(list + ": list file must exist, found none; pass the In-Shop folder that holds "
                + "list_eval_partition.txt and img/, or the list file and the image root separately", e.getMessage());
    }

    @Test
    void splitRecordRejectsSharedClasses() {
        ImageList a = ImageList.of(List.of(new ImageRecord(root.resolve("a.jpg"), "x")), "a");
        ImageList b = ImageList.of(List.of(new ImageRecord(root.resolve("b.jpg"), "x")), "b");
        ImageList c = ImageList.of(List.of(new ImageRecord(root.resolve("c.jpg"), "y")), "c");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new InShopSplit(a, c, b));
        assertEquals("train and gallery must not share classes, found 1 shared, e.g. 'x'", e.getMessage());
    }
}
