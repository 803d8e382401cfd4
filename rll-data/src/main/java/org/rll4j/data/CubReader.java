package org.rll4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.rll4j.data.ListFiles.Line;
import org.rll4j.data.ListFiles.Unique;

/**
 * Reads the list files of <a href="https://www.vision.caltech.edu/datasets/cub_200_2011/">CUB-200-2011</a>
 * (200 bird species, 11,788 images) into an {@link ImageList}, without reading any pixels.
 *
 * <p>Layout of the dataset root (the {@code CUB_200_2011} folder of the archive):
 * <pre>
 * images.txt               "&lt;image_id&gt; &lt;class folder&gt;/&lt;file&gt;" per line, e.g. "1 001.Black_footed_Albatross/x.jpg"
 * image_class_labels.txt   "&lt;image_id&gt; &lt;class_id&gt;" per line, e.g. "1 1"
 * images/                  the image files, at images/&lt;class folder&gt;/&lt;file&gt;
 * </pre>
 * Fields are separated by whitespace, so a path cannot contain spaces (CUB's do not). Blank lines are
 * ignored. {@code train_test_split.txt} is the classification split and is not used: metric learning
 * splits by class.
 *
 * <p><b>Class names</b> are the class folder names ({@code "001.Black_footed_Albatross"}): readable, and
 * since CUB's folders start with the zero-padded class id, their sorted order is the class-id order, so
 * {@link ClassSplit#halves(ImageList)} of {@link #read(Path)} gives the standard split. The reader checks
 * that class ids and class folders correspond one to one. Records keep the order of {@code images.txt}.
 *
 * <p><b>Standard split</b> ({@link #standardSplit(Path)}): the first half of the class ids in numeric
 * order for training, the rest for test: classes 1-100 / 101-200. It is computed from the class ids,
 * so it does not depend on how the folders are named.
 *
 * <p><b>Bad input</b>: every case fails, because each one means a broken or altered install and
 * going on would silently change the benchmark:
 * <ul>
 *   <li>a missing {@code images.txt} or {@code image_class_labels.txt}: {@link java.nio.file.NoSuchFileException}
 *       naming the file and the folder to pass instead;</li>
 *   <li>an empty list file (no non-blank line): {@link IllegalArgumentException};</li>
 *   <li>a malformed line (not 2 fields, an id that is not a non-negative integer, a path without a
 *       class folder): {@link IllegalArgumentException} naming file and line;</li>
 *   <li>a duplicate image id (in either file) or a duplicate path: {@link IllegalArgumentException}
 *       naming both lines;</li>
 *   <li>an image id in one file but not the other: {@link IllegalArgumentException} naming the file and
 *       line where it occurs and the file that lacks it, with the number of such ids;</li>
 *   <li>a class id with two folders, or a folder with two class ids: {@link IllegalArgumentException};</li>
 *   <li>a listed image file that does not exist: {@link IllegalArgumentException} naming the first one,
 *       its line and the number missing; re-extract the archive.</li>
 * </ul>
 */
public final class CubReader {

    /** The image list file, in the dataset root. */
    public static final String IMAGES_FILE = "images.txt";
    /** The image-to-class file, in the dataset root. */
    public static final String LABELS_FILE = "image_class_labels.txt";
    /** The folder of the image files, in the dataset root. */
    public static final String IMAGE_DIR = "images";

    private static final String HINT = "pass the CUB_200_2011 folder that holds " + IMAGES_FILE + ", " + LABELS_FILE
            + " and " + IMAGE_DIR + "/";

    /** The images and, for the split, the class folder of every class id in id order. */
    private record Parsed(ImageList all, TreeMap<Integer, String> folderOfClass) {
    }

    private record Listed(int line, int id, String folder, Path path) {
    }

    private CubReader() {
    }

    /**
     * Reads all 200 classes.
     *
     * @param root the {@code CUB_200_2011} folder
     * @return the images in {@code images.txt} order, class name = class folder
     * @throws java.nio.file.NoSuchFileException when a list file is missing
     * @throws IOException when a list file cannot be read
     * @throws IllegalArgumentException for bad content, naming file and line (see the class comment)
     */
    public static ImageList read(Path root) throws IOException {
        return parse(root).all();
    }

    /**
     * Reads the dataset and splits it by class id: the first half of the ids (in numeric order) for
     * training, the rest for test; with CUB's 200 classes, 1-100 / 101-200. With an odd number of classes
     * the extra class goes to test, as in {@link ClassSplit#halves(ImageList)}.
     *
     * @param root the {@code CUB_200_2011} folder
     * @return the class-disjoint split
     * @throws java.nio.file.NoSuchFileException when a list file is missing
     * @throws IOException when a list file cannot be read
     * @throws IllegalArgumentException for bad content, or fewer than 2 classes
     */
    public static ClassSplit standardSplit(Path root) throws IOException {
        Parsed p = parse(root);
        List<Integer> ids = new ArrayList<>(p.folderOfClass().keySet());
        if (ids.size() < 2) {
            throw new IllegalArgumentException("a class-disjoint split needs at least 2 classes, " + p.all().origin()
                    + " has " + ids.size());
        }
        int half = ids.size() / 2;
        List<String> train = new ArrayList<>();
        List<String> test = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            (i < half ? train : test).add(p.folderOfClass().get(ids.get(i)));
        }
        String origin = p.all().origin();
        return new ClassSplit(
                p.all().ofClasses(train, origin + " [train: class_id " + ids.get(0) + "-" + ids.get(half - 1) + "]"),
                p.all().ofClasses(test, origin + " [test: class_id " + ids.get(half) + "-" + ids.get(ids.size() - 1)
                        + "]"));
    }

    private static Parsed parse(Path root) throws IOException {
        Path imagesFile = root.resolve(IMAGES_FILE);
        Path labelsFile = root.resolve(LABELS_FILE);
        Path imageDir = root.resolve(IMAGE_DIR);

        List<Line> imageLines = ListFiles.readLines(imagesFile, HINT);
        List<Line> labelLines = ListFiles.readLines(labelsFile, HINT);
        ListFiles.requireNonEmpty(imagesFile, imageLines.size(), "no image lines");
        ListFiles.requireNonEmpty(labelsFile, labelLines.size(), "no image lines");

        List<Listed> listed = new ArrayList<>(imageLines.size());
        Unique<Integer> imageIds = new Unique<>("image_id");
        Unique<Path> paths = new Unique<>("image path");
        for (Line line : imageLines) {
            String[] f = ListFiles.fields(imagesFile, line, 2, "<image_id> <class folder>/<file>");
            int id = ListFiles.parseId(imagesFile, line.number(), "image_id", f[0]);
            imageIds.add(id, imagesFile, line.number());
            int slash = f[1].indexOf('/');
            if (slash <= 0 || slash == f[1].length() - 1) {
                throw new IllegalArgumentException(ListFiles.at(imagesFile, line.number())
                        + ": path must be '<class folder>/<file>', found '" + f[1] + "'");
            }
            Path path = ListFiles.resolve(imagesFile, line.number(), imageDir, f[1]);
            paths.add(path, imagesFile, line.number());
            listed.add(new Listed(line.number(), id, f[1].substring(0, slash), path));
        }

        Map<Integer, Integer> classOfImage = new HashMap<>();
        Unique<Integer> labelIds = new Unique<>("image_id");
        for (Line line : labelLines) {
            String[] f = ListFiles.fields(labelsFile, line, 2, "<image_id> <class_id>");
            int id = ListFiles.parseId(labelsFile, line.number(), "image_id", f[0]);
            int classId = ListFiles.parseId(labelsFile, line.number(), "class_id", f[1]);
            labelIds.add(id, labelsFile, line.number());
            classOfImage.put(id, classId);
        }

        requireAllIn(imagesFile, imageLines, imageIds, labelsFile, labelIds);
        requireAllIn(labelsFile, labelLines, labelIds, imagesFile, imageIds);

        TreeMap<Integer, String> folderOfClass = new TreeMap<>();
        Map<Integer, Integer> lineOfClass = new HashMap<>();
        Map<String, Integer> classOfFolder = new HashMap<>();
        Map<String, Integer> lineOfFolder = new HashMap<>();
        List<ImageRecord> records = new ArrayList<>(listed.size());
        List<Integer> lines = new ArrayList<>(listed.size());
        List<Path> files = new ArrayList<>(listed.size());
        for (Listed l : listed) {
            int classId = classOfImage.get(l.id());
            String folder = folderOfClass.putIfAbsent(classId, l.folder());
            if (folder != null && !folder.equals(l.folder())) {
                throw new IllegalArgumentException(ListFiles.at(imagesFile, l.line()) + ": class folder of image_id "
                        + l.id() + " must be '" + folder + "' like the other images of class_id " + classId + " (line "
                        + lineOfClass.get(classId) + "), found '" + l.folder() + "'");
            }
            lineOfClass.putIfAbsent(classId, l.line());
            Integer otherClass = classOfFolder.putIfAbsent(l.folder(), classId);
            if (otherClass != null && otherClass != classId) {
                throw new IllegalArgumentException(ListFiles.at(imagesFile, l.line()) + ": class_id of image_id "
                        + l.id() + " in " + labelsFile + " must be " + otherClass + " like the other images in folder '"
                        + l.folder() + "' (line " + lineOfFolder.get(l.folder()) + "), found " + classId);
            }
            lineOfFolder.putIfAbsent(l.folder(), l.line());
            records.add(new ImageRecord(l.path(), l.folder()));
            lines.add(l.line());
            files.add(l.path());
        }

        ListFiles.requireImagesExist(imagesFile, lines, files, "the CUB-200-2011 install is incomplete: extract "
                + "CUB_200_2011.tgz again so that every image listed in " + IMAGES_FILE + " exists under " + imageDir);
        return new Parsed(ImageList.of(records, "CUB-200-2011 at " + root), folderOfClass);
    }

    /** Fails on the first id (in line order) of {@code file} that {@code other} does not list. */
    private static void requireAllIn(Path file, List<Line> lines, Unique<Integer> ids, Path otherFile,
                                     Unique<Integer> otherIds) {
        int absent = 0;
        int firstId = -1;
        int firstLine = Integer.MAX_VALUE;
        for (Map.Entry<Integer, ListFiles.Location> e : ids.all().entrySet()) {
            if (otherIds.get(e.getKey()) == null) {
                absent++;
                if (e.getValue().line() < firstLine) {
                    firstId = e.getKey();
                    firstLine = e.getValue().line();
                }
            }
        }
        if (absent > 0) {
            throw new IllegalArgumentException(ListFiles.at(file, firstLine) + ": image_id " + firstId
                    + " must also be listed in " + otherFile + ", found no line for it (" + absent + " of " + lines.size()
                    + " image ids are missing there); the two files must list the same image ids: restore both from "
                    + "CUB_200_2011.tgz");
        }
    }
}
