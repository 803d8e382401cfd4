package org.rll4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.rll4j.data.ListFiles.Line;
import org.rll4j.data.ListFiles.Unique;

/**
 * Reads a generic image list, one {@code path,label} line per image, into an {@link ImageList} without
 * reading any pixels. This is the form this project uses for CARS196, whose original annotations are a
 * MATLAB file: {@code car_ims/000001.jpg,1}.
 *
 * <p>Format:
 * <ul>
 *   <li>UTF-8 text; an optional first line {@code path,label} (the header, spaces around the comma
 *       allowed); blank lines are ignored;</li>
 *   <li>each other line is exactly two comma-separated fields, each stripped of surrounding whitespace.
 *       Quoting is not supported, so a path must not contain a comma;</li>
 *   <li>a relative path is resolved against the CSV file's folder; an absolute path is kept.</li>
 * </ul>
 *
 * <p><b>Class names</b> are the labels verbatim, except that when every label is a plain non-negative
 * integer ({@code 0} or digits without a leading zero) they are zero-padded to the widest one
 * ({@code 1, 98, 196 -> 001, 098, 196}) so that sorted names follow the numeric order: then
 * {@link ClassSplit#halves(ImageList)} gives CARS196's standard split, classes 1-98 / 99-196. Labels
 * that already carry leading zeros, or any non-integer label, switch padding off, so two different
 * labels never become one name. Records keep the order of the file.
 *
 * <p><b>Bad input</b>: every case fails, because each one means a broken list or dataset and going on
 * would silently change the data:
 * <ul>
 *   <li>a missing CSV file: {@link java.nio.file.NoSuchFileException};</li>
 *   <li>an empty file, or one with only the header: {@link IllegalArgumentException};</li>
 *   <li>a line that is not two fields (a comma inside a path gives three), or an empty field:
 *       {@link IllegalArgumentException} naming file and line;</li>
 *   <li>the same image twice (after resolving the path): {@link IllegalArgumentException} naming both lines;</li>
 *   <li>a listed image file that does not exist: {@link IllegalArgumentException} naming the first one,
 *       its line and the number missing.</li>
 * </ul>
 */
public final class CsvListReader {

    /** The optional first line. */
    public static final String HEADER = "path,label";

    private CsvListReader() {
    }

    /**
     * Reads a {@code path,label} list.
     *
     * @param csv the list file
     * @return the images in file order
     * @throws java.nio.file.NoSuchFileException when the file is missing
     * @throws IOException when it cannot be read
     * @throws IllegalArgumentException for bad content, naming file and line (see the class comment)
     */
    public static ImageList read(Path csv) throws IOException {
        List<Line> lines = ListFiles.readLines(csv, "pass a CSV file of 'path,label' lines");
        ListFiles.requireNonEmpty(csv, lines.size(), "an empty file");
        boolean header = lines.get(0).text().replaceAll("\\s*,\\s*", ",").equals(HEADER);
        List<Line> rows = header ? lines.subList(1, lines.size()) : lines;
        ListFiles.requireNonEmpty(csv, rows.size(), "only the header");

        Path base = csv.toAbsolutePath().getParent();
        Unique<Path> paths = new Unique<>("image path");
        List<Integer> lineNumbers = new ArrayList<>(rows.size());
        List<Path> files = new ArrayList<>(rows.size());
        List<String> labels = new ArrayList<>(rows.size());
        for (Line line : rows) {
            String[] f = line.text().split(",", -1);
            if (f.length != 2) {
                throw new IllegalArgumentException(ListFiles.at(csv, line.number()) + ": line must have 2 "
                        + "comma-separated fields 'path,label', found " + f.length + ": '" + line.text() + "'; quoted "
                        + "fields are not supported, so a path must not contain a comma: rename the file");
            }
            String pathText = f[0].strip();
            String label = f[1].strip();
            if (pathText.isEmpty()) {
                throw new IllegalArgumentException(ListFiles.at(csv, line.number()) + ": path must be non-empty, found '"
                        + line.text() + "'");
            }
            if (label.isEmpty()) {
                throw new IllegalArgumentException(ListFiles.at(csv, line.number()) + ": label must be non-empty, found '"
                        + line.text() + "'");
            }
            Path path = ListFiles.resolve(csv, line.number(), base, pathText);
            paths.add(path, csv, line.number());
            lineNumbers.add(line.number());
            files.add(path);
            labels.add(label);
        }
        ListFiles.requireImagesExist(csv, lineNumbers, files, "relative paths are resolved against " + base
                + ": fix the path or restore the image");

        List<String> padded = ListFiles.padIfAllIntegers(labels);
        List<String> names = padded != null ? padded : labels;
        List<ImageRecord> records = new ArrayList<>(files.size());
        for (int i = 0; i < files.size(); i++) {
            records.add(new ImageRecord(files.get(i), names.get(i)));
        }
        return ImageList.of(records, "CSV list " + csv);
    }
}
