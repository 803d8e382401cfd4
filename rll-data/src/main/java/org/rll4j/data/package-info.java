/**
 * Data for metric learning on DL4J.
 *
 * <ul>
 *   <li>Readers produce an {@link org.rll4j.data.ImageList} (files and class names) with its shared
 *       {@link org.rll4j.sampler.LabelIndex} (rll-sampler): {@link org.rll4j.data.ImageFolderReader} (one folder per
 *       class), {@link org.rll4j.data.CubReader}, {@link org.rll4j.data.SopReader},
 *       {@link org.rll4j.data.InShopReader} and {@link org.rll4j.data.CsvListReader} (the paper datasets'
 *       list files); {@link org.rll4j.data.ClassSplit} makes class-disjoint train/test splits, and the
 *       readers return their dataset's official split.</li>
 *   <li>{@link org.rll4j.data.IdxReader} reads MNIST / Fashion-MNIST IDX files (gzipped or not) into
 *       an in-memory {@link org.rll4j.data.IdxSource}; {@link org.rll4j.data.ClassSubsetSource} splits any
 *       source by class (e.g. Fashion-MNIST classes 0-4 / 5-9).</li>
 *   <li>{@link org.rll4j.data.ExampleSource} gives random access to decoded images
 *       ({@link org.rll4j.data.ImageListSource} with {@link org.rll4j.data.ImageDecoder}, which
 *       composites alpha onto white).</li>
 *   <li>rll-sampler's {@link org.rll4j.sampler.ClassBalancedBatchSampler} picks C classes x K examples
 *       per batch; {@link org.rll4j.data.SampledDataSetIterator} decodes, augments
 *       ({@link org.rll4j.data.ImagePipeline}) and normalises ({@link org.rll4j.data.Normalization})
 *       them on worker threads into DL4J DataSets.</li>
 * </ul>
 * This module needs OpenCV's natives at run time (rll-natives provides the Linux x86-64 ones).
 */
package org.rll4j.data;
