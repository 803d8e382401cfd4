package org.rll4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.rll4j.data.ListFiles.Line;
import org.rll4j.data.ListFiles.Location;
import org.rll4j.data.ListFiles.Unique;
import org.rll4j.sampler.LabelIndex;

/**
 * Reads the official split of <a href="https://cvgl.stanford.edu/projects/lifted_struct/">Stanford Online
 * Products</a> (SOP: 22,634 products, 120,053 images) from its list files, without reading any pixels.
 *
 * <p>Layout of the dataset root (the {@code Stanford_Online_Products} folder of the archive):
 * <pre>
 * Ebay_train.txt   header "image_id class_id super_class_id path", then one image per line,
 * Ebay_test.txt    e.g. "1 1 1 bicycle_final/111085122871_0.JPG"; paths are relative to the root
 * bicycle_final/, cabinet_final/, ...   the image files
 * </pre>
 * Fields are separated by whitespace, so a path cannot contain spaces (SOP's do not). Blank lines are
 * ignored.
 *
 * <p><b>Split</b>: the official one, {@code Ebay_train.txt} for training (classes 1-11,318) and
 * {@code Ebay_test.txt} for test (classes 11,319-22,634); the reader checks that they share no class.
 * <b>Class names</b> are the class ids zero-padded to the width of the largest id in either file
 * ({@code "00001"} .. {@code "22634"}), so that the sorted names, and the {@link LabelIndex} ids, follow
 * the numeric class-id order. The super class is validated as an integer and not kept. Records keep the
 * order of their list file.
 *
 * <p><b>Bad input</b>: every case fails, because each one means a broken or altered install and going
 * on would silently change the benchmark:
 * <ul>
 *   <li>a missing list file: {@link java.nio.file.NoSuchFileException} naming it and the folder to pass;</li>
 *   <li>an empty list file, or one with only the header: {@link IllegalArgumentException};</li>
 *   <li>a first line that is not the header: {@link IllegalArgumentException};</li>
 *   <li>a malformed line (not 4 fields, an id that is not a non-negative integer):
 *       {@link IllegalArgumentException} naming file and line;</li>
 *   <li>a duplicate image id or path, within a file or across the two: {@link IllegalArgumentException}
 *       naming both places;</li>
 *   <li>a class id in both files: {@link IllegalArgumentException} naming both places (the official split
 *       is class-disjoint);</li>
 *   <li>a listed image file that does not exist: {@link IllegalArgumentException} naming the first one,
 *       its line and the number missing in that file; re-extract the archive.</li>
 * </ul>
 */
public final class SopReader {

    /** The training list, in the dataset root. */
    public static final String TRAIN_FILE = "Ebay_train.txt";
    /** The test list, in the dataset root. */
    public static final String TEST_FILE = "Ebay_test.txt";
    /** The first line of both list files. */
    public static final String HEADER = "image_id class_id super_class_id path";

    private static final String HINT = "pass the Stanford_Online_Products folder that holds " + TRAIN_FILE + ", "
            + TEST_FILE + " and the image folders (bicycle_final/, ...)";

    private record Row(int line, int classId, Path path) {
    }

    private SopReader() {
    }

    /**
     * Reads both list files.
     *
     * @param root the {@code Stanford_Online_Products} folder
     * @return train = {@code Ebay_train.txt}, test = {@code Ebay_test.txt}, each in list order
     * @throws java.nio.file.NoSuchFileException when a list file is missing
     * @throws IOException when a list file cannot be read
     * @throws IllegalArgumentException for bad content, naming file and line (see the class comment)
     */
    public static ClassSplit read(Path root) throws IOException {
        Path trainFile = root.resolve(TRAIN_FILE);
        Path testFile = root.resolve(TEST_FILE);
        List<Line> trainLines = ListFiles.readLines(trainFile, HINT);
        List<Line> testLines = ListFiles.readLines(testFile, HINT);

        Unique<Integer> imageIds = new Unique<>("image_id");
        Unique<Path> paths = new Unique<>("image path");
        List<Row> train = parse(root, trainFile, trainLines, imageIds, paths);
        List<Row> test = parse(root, testFile, testLines, imageIds, paths);

        Map<Integer, Location> trainClasses = new HashMap<>();
        int maxClass = 0;
        for (Row r : train) {
            trainClasses.putIfAbsent(r.classId(), new Location(trainFile, r.line()));
            maxClass = Math.max(maxClass, r.classId());
        }
        for (Row r : test) {
            Location inTrain = trainClasses.get(r.classId());
            if (inTrain != null) {
                throw new IllegalArgumentException(ListFiles.at(testFile, r.line()) + ": class_id must be in only one of "
                        + TRAIN_FILE + " and " + TEST_FILE + " (the official split is class-disjoint), found "
                        + r.classId() + " in both (also " + ListFiles.at(inTrain.file(), inTrain.line()) + ")");
            }
            maxClass = Math.max(maxClass, r.classId());
        }

        String fix = "the Stanford Online Products install is incomplete: extract Stanford_Online_Products.zip again "
                + "so that every image listed in " + TRAIN_FILE + " and " + TEST_FILE + " exists under " + root;
        requireImagesExist(trainFile, train, fix);
        requireImagesExist(testFile, test, fix);

        int width = ListFiles.digits(maxClass);
        String origin = "Stanford Online Products at " + root;
        return new ClassSplit(ImageList.of(records(train, width), origin + " [train: " + TRAIN_FILE + "]"),
                ImageList.of(records(test, width), origin + " [test: " + TEST_FILE + "]"));
    }

    private static List<Row> parse(Path root, Path file, List<Line> lines, Unique<Integer> imageIds,
                                   Unique<Path> paths) {
        ListFiles.requireNonEmpty(file, lines.size(), "an empty file");
        Line header = lines.get(0);
        if (!String.join(" ", header.text().split("\\s+")).equals(HEADER)) {
            throw new IllegalArgumentException(ListFiles.at(file, header.number()) + ": header must be '" + HEADER
                    + "', found '" + header.text() + "'");
        }
        ListFiles.requireNonEmpty(file, lines.size() - 1, "only the header");
        List<Row> rows = new ArrayList<>(lines.size() - 1);
        for (Line line : lines.subList(1, lines.size())) {
            String[] f = ListFiles.fields(file, line, 4, "<image_id> <class_id> <super_class_id> <path>");
            int id = ListFiles.parseId(file, line.number(), "image_id", f[0]);
            int classId = ListFiles.parseId(file, line.number(), "class_id", f[1]);
            ListFiles.parseId(file, line.number(), "super_class_id", f[2]);
            imageIds.add(id, file, line.number());
            Path path = ListFiles.resolve(file, line.number(), root, f[3]);
            paths.add(path, file, line.number());
            rows.add(new Row(line.number(), classId, path));
        }
        return rows;
    }

    private static void requireImagesExist(Path file, List<Row> rows, String fix) {
        ListFiles.requireImagesExist(file, rows.stream().map(Row::line).toList(), rows.stream().map(Row::path).toList(),
                fix);
    }

    private static List<ImageRecord> records(List<Row> rows, int width) {
        List<ImageRecord> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            out.add(new ImageRecord(r.path(), ListFiles.pad(r.classId(), width)));
        }
        return out;
    }
}
