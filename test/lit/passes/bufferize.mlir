// RUN: pelemay-opt %s --split-input-file -p bufferize | filecheck %s

// Results become out-params; the producer of the result writes straight into
// it; the bias add and the relu run in place in the matmul's buffer.

// CHECK-LABEL: func.func @mlp(%x: memref<2x8xf32>, %w: memref<8x16xf32>, %out: memref<2x16xf32> {pbuf.output = 0 : i64}) {
// CHECK-NEXT:    %h = pbuf.alloc {name = "h"} : memref<2x16xf32>
// CHECK-NEXT:    pbuf.matmul %x, %w, %h : memref<2x8xf32>, memref<8x16xf32>, memref<2x16xf32>
// CHECK-NEXT:    %b = pbuf.constant dense<2.500000e-01> : tensor<16xf32>
// CHECK-NEXT:    pbuf.add %h, %b, %h : memref<2x16xf32>, memref<16xf32>, memref<2x16xf32>
// CHECK-NEXT:    pbuf.relu %h, %h : memref<2x16xf32>, memref<2x16xf32>
// CHECK-NEXT:    pbuf.softmax %h, %out {axis = -1 : i64} : memref<2x16xf32>, memref<2x16xf32>
// CHECK-NEXT:    func.return
// CHECK-NEXT:  }
func.func @mlp(%x: tensor<2x8xf32>, %w: tensor<8x16xf32>) -> tensor<2x16xf32> {
  %h = ptensor.matmul %x, %w : tensor<2x8xf32>, tensor<8x16xf32> -> tensor<2x16xf32>
  %b = ptensor.constant dense<0.25> : tensor<16xf32>
  %hb = ptensor.add %h, %b : tensor<2x16xf32>, tensor<16xf32> -> tensor<2x16xf32>
  %r = ptensor.relu %hb : tensor<2x16xf32>
  %s = ptensor.softmax %r {axis = -1 : i64} : tensor<2x16xf32> -> tensor<2x16xf32>
  func.return %s : tensor<2x16xf32>
}

// -----

// A reshape is a view; a value still read later (here through a view) is
// not overwritten in place; weights stay weights.

// CHECK-LABEL: func.func @views(%x: memref<2x3xf32>, %out0: memref<6xf32> {pbuf.output = 0 : i64}, %out1: memref<2x3xf32> {pbuf.output = 1 : i64}) {
// CHECK-NEXT:    %w = pbuf.weight "w" at 0 : memref<2x3xf32>
// CHECK-NEXT:    %e = pbuf.alloc {name = "e"} : memref<2x3xf32>
// CHECK-NEXT:    pbuf.exp %x, %e : memref<2x3xf32>, memref<2x3xf32>
// CHECK-NEXT:    %f = pbuf.reshape %e : memref<2x3xf32> -> memref<6xf32>
// CHECK-NEXT:    pbuf.tanh %e, %out1 : memref<2x3xf32>, memref<2x3xf32>
// CHECK-NEXT:    pbuf.neg %f, %out0 : memref<6xf32>, memref<6xf32>
// CHECK-NEXT:    pbuf.mul %out1, %w, %out1 : memref<2x3xf32>, memref<2x3xf32>, memref<2x3xf32>
// CHECK-NEXT:    func.return
func.func @views(%x: tensor<2x3xf32>) -> (tensor<6xf32>, tensor<2x3xf32>) {
  %w = ptensor.weight "w" at 0 : tensor<2x3xf32>
  %e = ptensor.exp %x : tensor<2x3xf32>
  %f = ptensor.reshape %e : tensor<2x3xf32> -> tensor<6xf32>
  %t = ptensor.tanh %e : tensor<2x3xf32>
  %n = ptensor.neg %f : tensor<6xf32>
  %m = ptensor.mul %t, %w : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  func.return %n, %m : tensor<6xf32>, tensor<2x3xf32>
}

// -----

// A result's elementwise producer runs in place on its operand, and so on down
// the chain: the whole chain that ends in the result is computed in the
// out-param (the matmul writes the caller's buffer; nothing is allocated).

// CHECK-LABEL: func.func @chain(%x: memref<2x8xf32>, %w: memref<8x16xf32>, %out: memref<2x16xf32> {pbuf.output = 0 : i64}) {
// CHECK-NEXT:    pbuf.matmul %x, %w, %out : memref<2x8xf32>, memref<8x16xf32>, memref<2x16xf32>
// CHECK-NEXT:    %b = pbuf.constant dense<2.500000e-01> : tensor<16xf32>
// CHECK-NEXT:    pbuf.add %out, %b, %out : memref<2x16xf32>, memref<16xf32>, memref<2x16xf32>
// CHECK-NEXT:    pbuf.relu %out, %out : memref<2x16xf32>, memref<2x16xf32>
// CHECK-NEXT:    func.return
func.func @chain(%x: tensor<2x8xf32>, %w: tensor<8x16xf32>) -> tensor<2x16xf32> {
  %h = ptensor.matmul %x, %w : tensor<2x8xf32>, tensor<8x16xf32> -> tensor<2x16xf32>
  %b = ptensor.constant dense<0.25> : tensor<16xf32>
  %hb = ptensor.add %h, %b : tensor<2x16xf32>, tensor<16xf32> -> tensor<2x16xf32>
  %r = ptensor.relu %hb : tensor<2x16xf32>
  func.return %r : tensor<2x16xf32>
}

// -----

// The chain stops at a value read again later: %e has a buffer of its own.

// CHECK-LABEL: func.func @stops(%x: memref<4xf32>, %out: memref<4xf32> {pbuf.output = 0 : i64}) {
// CHECK-NEXT:    %e = pbuf.alloc {name = "e"} : memref<4xf32>
// CHECK-NEXT:    pbuf.exp %x, %e : memref<4xf32>, memref<4xf32>
// CHECK-NEXT:    pbuf.neg %e, %out : memref<4xf32>, memref<4xf32>
// CHECK-NEXT:    pbuf.add %out, %e, %out : memref<4xf32>, memref<4xf32>, memref<4xf32>
// CHECK-NEXT:    func.return
func.func @stops(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = ptensor.exp %x : tensor<4xf32>
  %n = ptensor.neg %e : tensor<4xf32>
  %s = ptensor.add %n, %e : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  func.return %s : tensor<4xf32>
}

// -----

// Returning an argument, a constant or one value twice needs copies; a
// reshaped result is written through a view of its out-param.

// CHECK-LABEL: func.func @copies(
// CHECK:         %c = pbuf.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    %a = pbuf.reshape %out2 : memref<1x2xf32> -> memref<2xf32>
// CHECK-NEXT:    pbuf.add %x, %c, %a : memref<2xf32>, memref<2xf32>, memref<2xf32>
// CHECK-NEXT:    %r = pbuf.reshape %a : memref<2xf32> -> memref<1x2xf32>
// CHECK-NEXT:    pbuf.copy %x, %out0 : memref<2xf32>, memref<2xf32>
// CHECK-NEXT:    pbuf.copy %c, %out1 : memref<2xf32>, memref<2xf32>
// CHECK-NEXT:    pbuf.copy %r, %out3 : memref<1x2xf32>, memref<1x2xf32>
// CHECK-NEXT:    func.return
func.func @copies(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<1x2xf32>, tensor<1x2xf32>) {
  %c = ptensor.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %a = ptensor.add %x, %c : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  %r = ptensor.reshape %a : tensor<2xf32> -> tensor<1x2xf32>
  func.return %x, %c, %r, %r : tensor<2xf32>, tensor<2xf32>, tensor<1x2xf32>, tensor<1x2xf32>
}
