/**
 * Data for metric learning on DL4J.
 *
 * <ul>
 *   <li>Readers produce an {@link org.rll4j.data.ImageList} (files and class names) with its shared
 *       {@link org.rll4j.data.LabelIndex}: {@link org.rll4j.data.ImageFolderReader} (one folder per
 *       class); {@link org.rll4j.data.ClassSplit} makes class-disjoint train/test splits.</li>
 *   <li>{@link org.rll4j.data.ExampleSource} gives random access to decoded images
 *       ({@link org.rll4j.data.ImageListSource} with {@link org.rll4j.data.ImageDecoder}, which
 *       composites alpha onto white).</li>
 *   <li>{@link org.rll4j.data.ClassBalancedBatchSampler} picks C classes x K examples per batch;
 *       {@link org.rll4j.data.SampledDataSetIterator} decodes, augments
 *       ({@link org.rll4j.data.ImagePipeline}) and normalises ({@link org.rll4j.data.Normalization})
 *       them on worker threads into DL4J DataSets.</li>
 *   <li>{@link org.rll4j.data.UciDigits}: the embedded UCI handwritten digits.</li>
 * </ul>
 * This module needs OpenCV's natives at run time (rll-natives provides the Linux x86-64 ones).
 */
package org.rll4j.data;
