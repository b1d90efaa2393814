// Reductions over axes (negative axes count from the end), keepdims and argmax.
// RUN: pelemay-opt %s > %t.custom && filecheck %s --input-file %t.custom
// RUN: pelemay-opt %s --print-op-generic > %t.generic && filecheck %s --check-prefix=GENERIC --input-file %t.generic
// The generic form parses back to the same program.
// RUN: pelemay-opt %t.generic | diff %t.custom -

// CHECK-LABEL: func.func @reduce
func.func @reduce(%x: tensor<2x3x4xf32>, %i: tensor<5x6xi32>, %b: tensor<8xi8>) {
  // CHECK-NEXT: ptensor.reduce_sum %{{.*}} {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x4xf32>
  // GENERIC: "ptensor.reduce_sum"(%{{.*}}) <{axes = array<i64: 1>}> : (tensor<2x3x4xf32>) -> tensor<2x4xf32>
  %0 = ptensor.reduce_sum %x {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x4xf32>
  // CHECK-NEXT: ptensor.reduce_sum %{{.*}} {axes = array<i64: 0, 2>, keepdims} : tensor<2x3x4xf32> -> tensor<1x3x1xf32>
  // GENERIC: "ptensor.reduce_sum"(%{{.*}}) <{axes = array<i64: 0, 2>, keepdims}> : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
  %1 = ptensor.reduce_sum %x {axes = array<i64: 0, 2>, keepdims} : tensor<2x3x4xf32> -> tensor<1x3x1xf32>
  // Reducing every axis gives a rank-0 tensor.
  // CHECK-NEXT: ptensor.reduce_max %{{.*}} {axes = array<i64: 0, 1>} : tensor<5x6xi32> -> tensor<i32>
  // GENERIC: "ptensor.reduce_max"
  %2 = ptensor.reduce_max %i {axes = array<i64: 0, 1>} : tensor<5x6xi32> -> tensor<i32>
  // CHECK-NEXT: ptensor.reduce_min %{{.*}} {axes = array<i64: -1>} : tensor<2x3x4xf32> -> tensor<2x3xf32>
  // GENERIC: "ptensor.reduce_min"
  %3 = ptensor.reduce_min %x {axes = array<i64: -1>} : tensor<2x3x4xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: ptensor.reduce_mean %{{.*}} {axes = array<i64: -3, -2>, keepdims} : tensor<2x3x4xf32> -> tensor<1x1x4xf32>
  // GENERIC: "ptensor.reduce_mean"
  %4 = ptensor.reduce_mean %x {axes = array<i64: -3, -2>, keepdims} : tensor<2x3x4xf32> -> tensor<1x1x4xf32>
  // CHECK-NEXT: ptensor.reduce_sum %{{.*}} {axes = array<i64: 0>} : tensor<8xi8> -> tensor<i8>
  %5 = ptensor.reduce_sum %b {axes = array<i64: 0>} : tensor<8xi8> -> tensor<i8>
  func.return
}

// CHECK-LABEL: func.func @argmax
func.func @argmax(%x: tensor<2x10xf32>, %b: tensor<3x4xi8>) {
  // argmax gives i32 indices whatever the input element type.
  // CHECK-NEXT: ptensor.argmax %{{.*}} {axes = array<i64: 1>} : tensor<2x10xf32> -> tensor<2xi32>
  // GENERIC: "ptensor.argmax"(%{{.*}}) <{axes = array<i64: 1>}> : (tensor<2x10xf32>) -> tensor<2xi32>
  %0 = ptensor.argmax %x {axes = array<i64: 1>} : tensor<2x10xf32> -> tensor<2xi32>
  // CHECK-NEXT: ptensor.argmax %{{.*}} {axes = array<i64: -2>, keepdims} : tensor<3x4xi8> -> tensor<1x4xi32>
  %1 = ptensor.argmax %b {axes = array<i64: -2>, keepdims} : tensor<3x4xi8> -> tensor<1x4xi32>
  func.return
}
