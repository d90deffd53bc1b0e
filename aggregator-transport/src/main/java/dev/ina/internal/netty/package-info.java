/**
 * Netty glue shared by the aggregator and the worker: event loops (epoll with NIO fallback), the datagram
 * handler that feeds engines without copying, the batching frame sender, the peer table and the start-up check
 * of JVM flags. Internal to INA.
 */
package dev.ina.internal.netty;
