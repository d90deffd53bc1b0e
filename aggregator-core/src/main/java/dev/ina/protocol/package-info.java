/**
 * Wire protocol v1: constants in {@link dev.ina.protocol.FrameDescriptor} and flyweights that read and write
 * frames in place, little-endian, without allocating.
 */
package dev.ina.protocol;
