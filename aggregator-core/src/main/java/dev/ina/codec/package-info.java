/**
 * Number formats: how a chunk of float gradients is quantised for the wire, summed by the aggregator and
 * turned back into floats, plus the bulk copies between wire buffers and arrays they rely on.
 */
package dev.ina.codec;
