/**
 * The rll4j runner. Today only the {@code ./rll} entry point that checks the installation; the CLI,
 * configs, training with the DL4J UI and checkpoints are issue #6. This module is the one that picks
 * the ND4J backend (via rll-natives) and the logging implementation (logback).
 */
package org.rll4j.app;
