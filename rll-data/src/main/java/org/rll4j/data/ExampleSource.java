package org.rll4j.data;

import java.io.IOException;

import org.bytedeco.opencv.opencv_core.Mat;
import org.rll4j.sampler.LabelIndex;

/**
 * Random access to the labelled images of a dataset, decoded: what the batch iterator draws from.
 * Implementations: {@link ImageListSource} (image files) and in-memory sources such as IDX files.
 *
 * <p>{@link #read(int)} returns an 8-bit OpenCV {@code Mat} with 1 channel (grey) or 3 channels in
 * OpenCV's BGR order; alpha has already been composited onto the source's background. The caller
 * owns the returned {@code Mat} and must {@code close()} it. Implementations must be safe for
 * concurrent {@code read} calls from several worker threads.
 */
public interface ExampleSource {

    /** Number of examples. */
    int size();

    /** Class names and the class id of every example. */
    LabelIndex labels();

    /**
     * Decodes example {@code index}.
     *
     * @param index in {@code [0, size())}
     * @return a new 8-bit Mat, 1 or 3 (BGR) channels
     * @throws IOException when the example cannot be read or decoded; the message names it
     */
    Mat read(int index) throws IOException;

    /** Names example {@code index} for messages: a file path, or a position in an archive. */
    String describe(int index);
}
