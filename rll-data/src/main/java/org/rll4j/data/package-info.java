/**
 * Data for metric learning. Today: the embedded UCI handwritten digits ({@link org.rll4j.data.UciDigits}).
 * DataVec image pipelines and class-balanced (C classes x K examples) batch samplers are issue #3.
 */
package org.rll4j.data;
