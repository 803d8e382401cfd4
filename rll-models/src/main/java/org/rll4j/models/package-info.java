/**
 * ComputationGraph embedding models with Ranked List Loss heads (single and multi-level). Planned
 * in issue #4; this package holds no API yet.
 */
package org.rll4j.models;
