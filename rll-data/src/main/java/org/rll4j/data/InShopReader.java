package org.rll4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.rll4j.data.ListFiles.Line;
import org.rll4j.data.ListFiles.Unique;

/**
 * Reads the evaluation partition of DeepFashion's
 * <a href="https://mmlab.ie.cuhk.edu.hk/projects/DeepFashion/InShopRetrieval.html">In-Shop Clothes
 * Retrieval</a> benchmark (7,982 items, 52,712 images) into an {@link InShopSplit}, without reading any
 * pixels.
 *
 * <p>{@code list_eval_partition.txt}:
 * <pre>
 * 52712                                           line 1: the number of image lines
 * image_name item_id evaluation_status            line 2: the header
 * img/WOMEN/Dresses/id_00000002/02_1_front.jpg  id_00000002  train      then one image per line
 * </pre>
 * Fields are separated by runs of whitespace (the original pads them with spaces), so a path cannot
 * contain spaces. Blank lines are ignored. The status is {@code train}, {@code query} or {@code gallery};
 * image names are relative to the image root, the folder that holds {@code img/}.
 *
 * <p><b>Class names</b> are the item ids verbatim ({@code "id_00000002"}: already zero-padded, so sorted
 * names follow id order). Each part keeps the order of the list file. The reader checks that no item is
 * both a training item and a query or gallery item.
 *
 * <p><b>Bad input</b>: every case fails, because each one means a broken or altered install and going
 * on would silently change the benchmark:
 * <ul>
 *   <li>a missing list file: {@link java.nio.file.NoSuchFileException} naming it and what to pass;</li>
 *   <li>an empty list file, one without image lines, or one without a train, query or gallery image:
 *       {@link IllegalArgumentException};</li>
 *   <li>a first line that is not a count, a count that differs from the number of image lines, a second
 *       line that is not the header: {@link IllegalArgumentException};</li>
 *   <li>a malformed line (not 3 fields, an unknown status): {@link IllegalArgumentException} naming
 *       file and line;</li>
 *   <li>a duplicate image name: {@link IllegalArgumentException} naming both lines;</li>
 *   <li>an item that is in train and in query or gallery: {@link IllegalArgumentException} naming both
 *       lines;</li>
 *   <li>a listed image file that does not exist: {@link IllegalArgumentException} naming the first one,
 *       its line and the number missing; re-extract the images.</li>
 * </ul>
 */
public final class InShopReader {

    /** The partition file, in the dataset root. */
    public static final String LIST_FILE = "list_eval_partition.txt";
    /** The second line of the partition file. */
    public static final String HEADER = "image_name item_id evaluation_status";

    private static final String HINT = "pass the In-Shop folder that holds " + LIST_FILE
            + " and img/, or the list file and the image root separately";

    private enum Part { TRAIN, QUERY, GALLERY }

    private InShopReader() {
    }

    /**
     * Reads {@code root/list_eval_partition.txt}, with image names relative to {@code root}.
     *
     * @param root the folder that holds the list file and {@code img/}
     * @return the three parts
     * @throws java.nio.file.NoSuchFileException when the list file is missing
     * @throws IOException when it cannot be read
     * @throws IllegalArgumentException for bad content, naming file and line (see the class comment)
     */
    public static InShopSplit read(Path root) throws IOException {
        return read(root.resolve(LIST_FILE), root);
    }

    /**
     * Reads a partition file whose image names are relative to {@code imageRoot} (the original archive
     * keeps the list in {@code Eval/} and the images in {@code Img/}).
     *
     * @param listFile the {@code list_eval_partition.txt} file
     * @param imageRoot the folder that holds {@code img/}
     * @return the three parts
     * @throws java.nio.file.NoSuchFileException when the list file is missing
     * @throws IOException when it cannot be read
     * @throws IllegalArgumentException for bad content, naming file and line (see the class comment)
     */
    public static InShopSplit read(Path listFile, Path imageRoot) throws IOException {
        List<Line> lines = ListFiles.readLines(listFile, HINT);
        ListFiles.requireNonEmpty(listFile, lines.size(), "an empty file");
        Line countLine = lines.get(0);
        int count = ListFiles.parseId(listFile, countLine.number(), "image count", countLine.text());
        ListFiles.requireNonEmpty(listFile, lines.size() - 1, "only the image count");
        Line header = lines.get(1);
        if (!String.join(" ", header.text().split("\\s+")).equals(HEADER)) {
            throw new IllegalArgumentException(ListFiles.at(listFile, header.number()) + ": header must be '" + HEADER
                    + "', found '" + header.text() + "'");
        }
        List<Line> rows = lines.subList(2, lines.size());
        ListFiles.requireNonEmpty(listFile, rows.size(), "only the image count and the header");

        Map<Part, List<ImageRecord>> parts = new HashMap<>();
        for (Part p : Part.values()) {
            parts.put(p, new ArrayList<>());
        }
        Unique<Path> paths = new Unique<>("image_name");
        Map<String, Line> firstTrainLine = new HashMap<>();
        Map<String, Line> firstTestLine = new HashMap<>();
        List<Integer> lineNumbers = new ArrayList<>(rows.size());
        List<Path> files = new ArrayList<>(rows.size());
        for (Line line : rows) {
            String[] f = ListFiles.fields(listFile, line, 3, "<image_name> <item_id> <evaluation_status>");
            Part part = switch (f[2]) {
                case "train" -> Part.TRAIN;
                case "query" -> Part.QUERY;
                case "gallery" -> Part.GALLERY;
                default -> throw new IllegalArgumentException(ListFiles.at(listFile, line.number())
                        + ": evaluation_status must be train, query or gallery, found '" + f[2] + "'");
            };
            Path path = ListFiles.resolve(listFile, line.number(), imageRoot, f[0]);
            paths.add(path, listFile, line.number());
            String item = f[1];
            Map<String, Line> mine = part == Part.TRAIN ? firstTrainLine : firstTestLine;
            Map<String, Line> other = part == Part.TRAIN ? firstTestLine : firstTrainLine;
            mine.putIfAbsent(item, line);
            Line clash = other.get(item);
            if (clash != null) {
                throw new IllegalArgumentException(ListFiles.at(listFile, line.number()) + ": item_id must be either a "
                        + "train item or a query/gallery item (the split is class-disjoint), found " + item + " as '"
                        + f[2] + "' here and as '" + clash.text().split("\\s+")[2] + "' on line " + clash.number());
            }
            parts.get(part).add(new ImageRecord(path, item));
            lineNumbers.add(line.number());
            files.add(path);
        }
        if (count != rows.size()) {
            throw new IllegalArgumentException(ListFiles.at(listFile, countLine.number()) + ": image count must be the "
                    + "number of image lines, " + rows.size() + ", found " + count);
        }
        for (Part p : Part.values()) {
            String status = p.name().toLowerCase(Locale.ROOT);
            if (parts.get(p).isEmpty()) {
                throw new IllegalArgumentException(listFile + ": list file must list at least one '" + status
                        + "' image, found none");
            }
        }
        ListFiles.requireImagesExist(listFile, lineNumbers, files, "the In-Shop install is incomplete: extract img.zip "
                + "again under " + imageRoot + " so that every image listed in " + listFile.getFileName() + " exists");
        String origin = "In-Shop at " + listFile;
        return new InShopSplit(ImageList.of(parts.get(Part.TRAIN), origin + " [train]"),
                ImageList.of(parts.get(Part.QUERY), origin + " [query]"),
                ImageList.of(parts.get(Part.GALLERY), origin + " [gallery]"));
    }
}
