package org.rll4j.sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The one index of labels that readers, samplers and evaluators share: the class names of a
 * dataset (sorted, so class id {@code c} is the c-th name in lexicographic order), the class id of
 * every example, and the examples of every class.
 *
 * <p>Immutable. Accessors that return arrays return copies.
 */
public final class LabelIndex {

    private final List<String> classNames;
    private final int[] labels;
    private final int[][] byClass;

    private LabelIndex(List<String> classNames, int[] labels) {
        this.classNames = List.copyOf(classNames);
        this.labels = labels.clone();
        int[] counts = new int[classNames.size()];
        for (int i = 0; i < labels.length; i++) {
            int l = labels[i];
            if (l < 0 || l >= counts.length) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "label of example %d must be a class id in [0, %d), found %d", i, counts.length, l));
            }
            counts[l]++;
        }
        byClass = new int[counts.length][];
        for (int c = 0; c < counts.length; c++) {
            byClass[c] = new int[counts[c]];
        }
        int[] at = new int[counts.length];
        for (int i = 0; i < labels.length; i++) {
            byClass[labels[i]][at[labels[i]]++] = i;
        }
    }

    /**
     * Builds the index from the class name of every example; ids follow the sorted names.
     *
     * @param exampleClassNames class name of each example, in example order
     * @return the index
     */
    public static LabelIndex fromClassNames(List<String> exampleClassNames) {
        List<String> names = new ArrayList<>(new java.util.TreeSet<>(exampleClassNames));
        int[] labels = new int[exampleClassNames.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = Collections.binarySearch(names, exampleClassNames.get(i));
        }
        return new LabelIndex(names, labels);
    }

    /**
     * Builds the index from class ids in {@code [0, classNames.size())}.
     *
     * @param classNames name of each class id (need not be sorted, must be distinct)
     * @param labels class id of each example
     * @return the index
     */
    public static LabelIndex of(List<String> classNames, int[] labels) {
        if (new java.util.HashSet<>(classNames).size() != classNames.size()) {
            throw new IllegalArgumentException("class names must be distinct, found " + classNames);
        }
        return new LabelIndex(classNames, labels);
    }

    /** Number of examples. */
    public int size() {
        return labels.length;
    }

    /** Number of classes (including classes without examples, if the names listed them). */
    public int numClasses() {
        return classNames.size();
    }

    /** Class id of example {@code i}. */
    public int label(int i) {
        return labels[i];
    }

    /** Class ids of all examples (a copy). */
    public int[] labels() {
        return labels.clone();
    }

    /** Name of class {@code c}. */
    public String className(int c) {
        return classNames.get(c);
    }

    /** All class names, index = class id. */
    public List<String> classNames() {
        return classNames;
    }

    /** Number of examples of class {@code c}. */
    public int count(int c) {
        return byClass[c].length;
    }

    /** Indices of the examples of class {@code c}, ascending (a copy). */
    public int[] examplesOf(int c) {
        return byClass[c].clone();
    }

    /** Ids of the classes with at least {@code min} examples, ascending. */
    public int[] classesWithAtLeast(int min) {
        return java.util.stream.IntStream.range(0, byClass.length).filter(c -> byClass[c].length >= min).toArray();
    }

    @Override
    public String toString() {
        return "LabelIndex{" + labels.length + " examples, " + classNames.size() + " classes}";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabelIndex other && classNames.equals(other.classNames) && Arrays.equals(labels, other.labels);
    }

    @Override
    public int hashCode() {
        return 31 * classNames.hashCode() + Arrays.hashCode(labels);
    }
}
