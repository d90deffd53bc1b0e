/**
 * The seam between the pure engines and a transport: {@link dev.ina.transport.FrameHandler} receives datagrams,
 * {@link dev.ina.transport.FrameSender} sends them. Peers are small integer ids the transport maps to addresses.
 */
package dev.ina.transport;
