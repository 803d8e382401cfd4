/**
 * Embedding networks for the Ranked List Loss as DL4J ComputationGraphs with stable layer names.
 *
 * <ul>
 *   <li>Backbones ({@link org.rll4j.models.Backbone}): {@link org.rll4j.models.BnInception} (the
 *       paper's, built from scratch with the Caffe layer names), {@link org.rll4j.models.ResNet50Backbone}
 *       and {@link org.rll4j.models.SqueezeNetBackbone} (the DL4J zoo's layers and names, without
 *       classifier), {@link org.rll4j.models.SmallCnn} (the main job's CPU-sized network).</li>
 *   <li>{@link org.rll4j.models.EmbeddingHead} and {@link org.rll4j.models.EmbeddingModel}: RLL-H
 *       and RLL-(L,M,H), head learning-rate multiplier, frozen backbone,
 *       {@link org.rll4j.models.BackboneWarmup}.</li>
 *   <li>Weights: {@link org.rll4j.models.PretrainedWeights} (DL4J-hosted ImageNet weights from the
 *       local cache, checksum-verified, never deleted; copy by layer name) and
 *       {@link org.rll4j.models.NpzWeightImporter} (BN-Inception weights exported from PyTorch), both
 *       returning a {@link org.rll4j.models.WeightImportReport} whose
 *       {@code requireBackboneLoaded(model)} fails when a backbone layer was not loaded.</li>
 *   <li>Inference: {@link org.rll4j.models.EmbeddingExtractor}; training a multi-head model from a
 *       plain iterator: {@link org.rll4j.models.MultiHeadIterator}.</li>
 * </ul>
 */
package org.rll4j.models;
