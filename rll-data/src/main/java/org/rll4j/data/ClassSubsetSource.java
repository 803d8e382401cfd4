package org.rll4j.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.bytedeco.opencv.opencv_core.Mat;
import org.rll4j.sampler.LabelIndex;

/**
 * The examples of some classes of another {@link ExampleSource}, with class ids renumbered over the
 * kept class names (sorted). For sources that are not image lists, e.g. the class-disjoint
 * Fashion-MNIST protocol on an {@link IdxSource}: classes 0-4 for training, 5-9 unseen.
 */
public final class ClassSubsetSource implements ExampleSource {

    private final ExampleSource source;
    private final int[] examples;
    private final LabelIndex labels;

    private ClassSubsetSource(ExampleSource source, Collection<String> classNames) {
        this.source = source;
        Set<String> keep = new HashSet<>(classNames);
        Set<String> known = new HashSet<>(source.labels().classNames());
        for (String c : keep) {
            if (!known.contains(c)) {
                throw new IllegalArgumentException("class '" + c + "' does not occur in the source (classes: "
                        + source.labels().classNames() + ")");
            }
        }
        List<Integer> kept = new ArrayList<>();
        List<String> names = new ArrayList<>();
        LabelIndex all = source.labels();
        for (int i = 0; i < source.size(); i++) {
            String name = all.className(all.label(i));
            if (keep.contains(name)) {
                kept.add(i);
                names.add(name);
            }
        }
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("the classes " + classNames + " have no examples in the source");
        }
        this.examples = kept.stream().mapToInt(Integer::intValue).toArray();
        this.labels = LabelIndex.fromClassNames(names);
    }

    /**
     * @param source the full source
     * @param classNames classes to keep; each must occur in the source
     * @return a view of their examples
     */
    public static ClassSubsetSource of(ExampleSource source, Collection<String> classNames) {
        return new ClassSubsetSource(source, classNames);
    }

    /**
     * The class-disjoint halves: first half of the sorted class names, then the rest (the extra class
     * of an odd count goes to the second half), as {@link ClassSplit#halves(ImageList)} does for lists.
     *
     * @param source the full source, at least 2 classes
     * @return {train, test}
     */
    public static ClassSubsetSource[] halves(ExampleSource source) {
        List<String> names = source.labels().classNames();
        int half = ClassSplit.trainClassCount(names, "the source");
        return new ClassSubsetSource[] {of(source, names.subList(0, half)), of(source, names.subList(half, names.size()))};
    }

    @Override
    public int size() {
        return examples.length;
    }

    @Override
    public LabelIndex labels() {
        return labels;
    }

    @Override
    public Mat read(int index) throws IOException {
        return source.read(examples[index]);
    }

    @Override
    public String describe(int index) {
        return source.describe(examples[index]);
    }
}
