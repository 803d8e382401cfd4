package org.rll4j.data;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.rll4j.sampler.LabelIndex;

/**
 * An immutable list of labelled image files with its {@link LabelIndex}: what every dataset reader
 * produces (a folder per class, CUB, SOP, In-Shop, CSV), and what {@link ClassSplit} divides.
 *
 * @see ImageFolderReader
 */
public final class ImageList {

    private final List<ImageRecord> records;
    private final LabelIndex index;
    private final String origin;

    private ImageList(List<ImageRecord> records, String origin) {
        this.records = List.copyOf(records);
        this.origin = Objects.requireNonNull(origin, "origin must not be null");
        List<String> names = new ArrayList<>(records.size());
        for (ImageRecord r : records) {
            names.add(r.className());
        }
        this.index = LabelIndex.fromClassNames(names);
    }

    /**
     * @param records the images, in a stable order (readers sort them)
     * @param origin where they come from, for messages (a folder, a list file)
     * @return the list; class ids follow the sorted class names
     */
    public static ImageList of(List<ImageRecord> records, String origin) {
        return new ImageList(records, origin);
    }

    /** Number of images. */
    public int size() {
        return records.size();
    }

    /** Image {@code i}. */
    public ImageRecord get(int i) {
        return records.get(i);
    }

    /** All images. */
    public List<ImageRecord> records() {
        return records;
    }

    /** The class names and ids. */
    public LabelIndex labels() {
        return index;
    }

    /** Where the images come from. */
    public String origin() {
        return origin;
    }

    /**
     * The images of the given classes (class ids are renumbered over the subset's sorted names).
     *
     * @param classNames classes to keep; each must occur in this list
     * @param origin description of the subset
     * @return the subset
     */
    public ImageList ofClasses(Collection<String> classNames, String origin) {
        Set<String> keep = new HashSet<>(classNames);
        Set<String> known = new HashSet<>(index.classNames());
        for (String c : keep) {
            if (!known.contains(c)) {
                throw new IllegalArgumentException("class '" + c + "' does not occur in " + this.origin
                        + " (" + known.size() + " classes)");
            }
        }
        List<ImageRecord> out = new ArrayList<>();
        for (ImageRecord r : records) {
            if (keep.contains(r.className())) {
                out.add(r);
            }
        }
        return new ImageList(out, origin);
    }

    @Override
    public String toString() {
        return "ImageList{" + origin + ": " + records.size() + " images, " + index.numClasses() + " classes}";
    }
}
