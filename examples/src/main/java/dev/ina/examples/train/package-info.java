/**
 * Data-parallel training example: softmax regression and a one-hidden-layer MLP on Fashion-MNIST, trained by N
 * ranks that average their gradients through INA every step, compared across codecs and modes (FP32, FIXED32,
 * INT8 with error feedback, BOUNDED with loss and a straggler). Plain Java: IDX loader, models, SGD, a Java2D
 * plot and a markdown report.
 */
package dev.ina.examples.train;
