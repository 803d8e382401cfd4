/**
 * Image augmentations as DataVec {@code ImageTransform}s on OpenCV images: random resized crop,
 * centre crop and horizontal flip (resizing uses DataVec's {@code ResizeImageTransform}). Instances
 * keep per-call state, like DataVec's: one instance per thread.
 */
package org.rll4j.data.transform;
