package org.rll4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.rll4j.data.ListFixtures.assertDisjoint;
import static org.rll4j.data.ListFixtures.classNamesOf;
import static org.rll4j.data.ListFixtures.touch;
import static org.rll4j.data.ListFixtures.write;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CARS196-style CSV fixtures ({@code car_ims/000001.jpg,1}). Image files are empty, since the reader only
 * checks that they exist.
 */
class CsvListReaderTest {

    @TempDir
    Path root;
    private Path csv;

    @BeforeEach
    void writeImages() throws IOException {
        for (String f : List.of("000001.jpg", "000002.jpg", "000003.jpg", "000004.jpg", "000005.jpg")) {
            touch(root.resolve("car_ims").resolve(f));
        }
        csv = root.resolve("cars196.csv");
    }

    @Test
    void readsRelativeAndAbsolutePathsAndPadsIntegerLabels() throws IOException {
        Path absolute = root.resolve("car_ims/000005.jpg");
        write(csv, "path,label", "car_ims/000001.jpg,1", "car_ims/000002.jpg, 2", "", "car_ims/000003.jpg,98",
                "car_ims/000004.jpg,99", absolute + ",196");
        ImageList list = CsvListReader.read(csv);
        assertEquals(List.of("001", "002", "098", "099", "196"), classNamesOf(list));
        assertEquals(root.resolve("car_ims/000001.jpg"), list.get(0).path());
        assertEquals(absolute, list.get(4).path());
        assertEquals("CSV list " + csv, list.origin());
        ClassSplit split = ClassSplit.halves(list);
        assertEquals(List.of("001", "002"), split.train().labels().classNames());
        assertEquals(List.of("098", "099", "196"), split.test().labels().classNames());
        assertDisjoint(split.train(), split.test());
    }

    @Test
    void headerIsOptionalAndNonIntegerLabelsStayVerbatim() throws IOException {
        write(csv, "car_ims/000001.jpg,Audi A4", "car_ims/000002.jpg,10", "car_ims/000003.jpg,9");
        ImageList list = CsvListReader.read(csv);
        assertEquals(3, list.size());
        assertEquals(List.of("Audi A4", "10", "9"), classNamesOf(list));
        assertEquals(List.of("10", "9", "Audi A4"), list.labels().classNames());
    }

    @Test
    void headerMayHaveSpacesAroundTheComma() throws IOException {
        write(csv, "path , label", "car_ims/000001.jpg,1");
        assertEquals(1, CsvListReader.read(csv).size());
    }

    @Test
    void labelsWithLeadingZerosAreNotPadded() throws IOException {
        write(csv, "car_ims/000001.jpg,07", "car_ims/000002.jpg,7", "car_ims/000003.jpg,12");
        assertEquals(List.of("07", "12", "7"), CsvListReader.read(csv).labels().classNames());
    }

    @Test
    void commaInsidePathFails() throws IOException {
        write(csv, "path,label", "car_ims/000001.jpg,1", "car_ims/audi,a4.jpg,2");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CsvListReader.read(csv));
        assertEquals(csv + " line 3: line must have 2 comma-separated fields 'path,label', found 3: "
                + "'car_ims/audi,a4.jpg,2'; quoted fields are not supported, so a path must not contain a comma: rename "
                + "the file", e.getMessage());
    }

    @Test
    void lineWithoutLabelFails() throws IOException {
        write(csv, "car_ims/000001.jpg");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CsvListReader.read(csv));
        assertEquals(csv + " line 1: line must have 2 comma-separated fields 'path,label', found 1: "
                + "'car_ims/000001.jpg'; quoted fields are not supported, so a path must not contain a comma: rename "
                + "the file", e.getMessage());
    }

    @Test
    void emptyLabelFails() throws IOException {
        write(csv, "car_ims/000001.jpg,1", "car_ims/000002.jpg, ");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CsvListReader.read(csv));
        assertEquals(csv + " line 2: label must be non-empty, found 'car_ims/000002.jpg,'", e.getMessage());
    }

    @Test
    void emptyPathFails() throws IOException {
        write(csv, ",1");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CsvListReader.read(csv));
        assertEquals(csv + " line 1: path must be non-empty, found ',1'", e.getMessage());
    }

    @Test
    void duplicateImageFails() throws IOException {
        write(csv, "car_ims/000001.jpg,1", "car_ims/../car_ims/000001.jpg,2");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CsvListReader.read(csv));
        assertEquals(csv + " line 2: image path must be unique, found " + root.resolve("car_ims/000001.jpg")
                + " again (first on line 1)", e.getMessage());
    }

    @Test
    void missingImageFileFails() throws IOException {
        write(csv, "car_ims/000001.jpg,1", "car_ims/000009.jpg,1");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CsvListReader.read(csv));
        assertEquals(csv + " line 2: image file must exist, found none at " + root.resolve("car_ims/000009.jpg")
                + " (1 of 2 listed images are missing); relative paths are resolved against " + root
                + ": fix the path or restore the image", e.getMessage());
    }

    @Test
    void emptyFileFails() throws IOException {
        write(csv, "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CsvListReader.read(csv));
        assertEquals(csv + ": list file must list at least one image, found an empty file", e.getMessage());
    }

    @Test
    void headerOnlyFileFails() throws IOException {
        write(csv, "path,label");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CsvListReader.read(csv));
        assertEquals(csv + ": list file must list at least one image, found only the header", e.getMessage());
    }

    @Test
    void missingFileFails() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> CsvListReader.read(csv));
        assertEquals(csv + ": list file must exist, found none; pass a CSV file of 'path,label' lines", e.getMessage());
    }

    @Test
    void folderInsteadOfImageFails() throws IOException {
        write(csv, "car_ims,1");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CsvListReader.read(csv));
        assertEquals(csv + " line 1: image file must exist, found a folder at " + root.resolve("car_ims")
                + " (1 of 1 listed images are missing); relative paths are resolved against " + root
                + ": fix the path or restore the image", e.getMessage());
    }
}
