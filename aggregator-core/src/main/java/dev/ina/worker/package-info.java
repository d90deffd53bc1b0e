/**
 * The worker's pure streaming engine: join handshake, chunking, window, exponent agreement, retransmission and
 * timeouts, driven by its owner's thread and clock.
 */
package dev.ina.worker;
