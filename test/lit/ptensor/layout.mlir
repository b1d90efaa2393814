// Layout ops: transpose, reshape, broadcast, slice, concat, pad.
// RUN: pelemay-opt %s > %t.custom && filecheck %s --input-file %t.custom
// RUN: pelemay-opt %s --print-op-generic > %t.generic && filecheck %s --check-prefix=GENERIC --input-file %t.generic
// The generic form parses back to the same program.
// RUN: pelemay-opt %t.generic | diff %t.custom -

// CHECK-LABEL: func.func @transpose
func.func @transpose(%x: tensor<2x3x4xf32>, %m: tensor<5x7xi8>) {
  // CHECK-NEXT: ptensor.transpose %{{.*}} {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  // GENERIC: "ptensor.transpose"(%{{.*}}) <{permutation = array<i64: 2, 0, 1>}> : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %0 = ptensor.transpose %x {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  // CHECK-NEXT: ptensor.transpose %{{.*}} {permutation = array<i64: 1, 0>} : tensor<5x7xi8> -> tensor<7x5xi8>
  %1 = ptensor.transpose %m {permutation = array<i64: 1, 0>} : tensor<5x7xi8> -> tensor<7x5xi8>
  func.return
}

// CHECK-LABEL: func.func @reshape
func.func @reshape(%x: tensor<2x3x4xf32>, %s: tensor<f32>) {
  // CHECK-NEXT: ptensor.reshape %{{.*}} : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // GENERIC: "ptensor.reshape"(%{{.*}}) : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %0 = ptensor.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK-NEXT: ptensor.reshape %{{.*}} : tensor<2x3x4xf32> -> tensor<24xf32>
  %1 = ptensor.reshape %x : tensor<2x3x4xf32> -> tensor<24xf32>
  // A scalar reshapes to any shape of one element, and back.
  // CHECK-NEXT: ptensor.reshape %{{.*}} : tensor<f32> -> tensor<1x1xf32>
  %2 = ptensor.reshape %s : tensor<f32> -> tensor<1x1xf32>
  // CHECK-NEXT: ptensor.reshape %{{.*}} : tensor<1x1xf32> -> tensor<f32>
  %3 = ptensor.reshape %2 : tensor<1x1xf32> -> tensor<f32>
  func.return
}

// CHECK-LABEL: func.func @broadcast
func.func @broadcast(%r: tensor<3xf32>, %c: tensor<2x1xi32>, %s: tensor<i8>) {
  // CHECK-NEXT: ptensor.broadcast %{{.*}} : tensor<3xf32> -> tensor<4x2x3xf32>
  // GENERIC: "ptensor.broadcast"(%{{.*}}) : (tensor<3xf32>) -> tensor<4x2x3xf32>
  %0 = ptensor.broadcast %r : tensor<3xf32> -> tensor<4x2x3xf32>
  // CHECK-NEXT: ptensor.broadcast %{{.*}} : tensor<2x1xi32> -> tensor<2x5xi32>
  %1 = ptensor.broadcast %c : tensor<2x1xi32> -> tensor<2x5xi32>
  // CHECK-NEXT: ptensor.broadcast %{{.*}} : tensor<i8> -> tensor<3x3xi8>
  %2 = ptensor.broadcast %s : tensor<i8> -> tensor<3x3xi8>
  func.return
}

// CHECK-LABEL: func.func @slice
func.func @slice(%x: tensor<8x10xf32>) {
  // CHECK-NEXT: ptensor.slice %{{.*}} {offsets = array<i64: 1, 2>, sizes = array<i64: 3, 4>, strides = array<i64: 1, 1>} : tensor<8x10xf32> -> tensor<3x4xf32>
  // GENERIC: "ptensor.slice"(%{{.*}}) <{offsets = array<i64: 1, 2>, sizes = array<i64: 3, 4>, strides = array<i64: 1, 1>}> : (tensor<8x10xf32>) -> tensor<3x4xf32>
  %0 = ptensor.slice %x {offsets = array<i64: 1, 2>, sizes = array<i64: 3, 4>, strides = array<i64: 1, 1>} : tensor<8x10xf32> -> tensor<3x4xf32>
  // The last element read is offset + (size - 1) * stride: 1 + 3 * 2 = 7 and 0 + 3 * 3 = 9.
  // CHECK-NEXT: ptensor.slice %{{.*}} {offsets = array<i64: 1, 0>, sizes = array<i64: 4, 4>, strides = array<i64: 2, 3>} : tensor<8x10xf32> -> tensor<4x4xf32>
  %1 = ptensor.slice %x {offsets = array<i64: 1, 0>, sizes = array<i64: 4, 4>, strides = array<i64: 2, 3>} : tensor<8x10xf32> -> tensor<4x4xf32>
  // An empty slice may start anywhere.
  // CHECK-NEXT: ptensor.slice %{{.*}} {offsets = array<i64: 8, 0>, sizes = array<i64: 0, 10>, strides = array<i64: 1, 1>} : tensor<8x10xf32> -> tensor<0x10xf32>
  %2 = ptensor.slice %x {offsets = array<i64: 8, 0>, sizes = array<i64: 0, 10>, strides = array<i64: 1, 1>} : tensor<8x10xf32> -> tensor<0x10xf32>
  func.return
}

// CHECK-LABEL: func.func @concat
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<4x3xf32>, %i: tensor<6xi8>) {
  // CHECK-NEXT: ptensor.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<2x8xf32>
  // GENERIC: "ptensor.concat"(%{{.*}}, %{{.*}}) <{axis = 1 : i64}> : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  %0 = ptensor.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<2x8xf32>
  // CHECK-NEXT: ptensor.concat %{{.*}}, %{{.*}}, %{{.*}} {axis = -2 : i64} : tensor<2x3xf32>, tensor<4x3xf32>, tensor<2x3xf32> -> tensor<8x3xf32>
  %1 = ptensor.concat %a, %c, %a {axis = -2 : i64} : tensor<2x3xf32>, tensor<4x3xf32>, tensor<2x3xf32> -> tensor<8x3xf32>
  // CHECK-NEXT: ptensor.concat %{{.*}} {axis = 0 : i64} : tensor<6xi8> -> tensor<6xi8>
  %2 = ptensor.concat %i {axis = 0 : i64} : tensor<6xi8> -> tensor<6xi8>
  func.return
}

// CHECK-LABEL: func.func @pad
func.func @pad(%x: tensor<2x3xf32>, %i: tensor<4xi8>) {
  // CHECK-NEXT: ptensor.pad %{{.*}} {low = array<i64: 1, 0>, high = array<i64: 2, 3>, value = 0.000000e+00 : f32} : tensor<2x3xf32> -> tensor<5x6xf32>
  // GENERIC: "ptensor.pad"(%{{.*}}) <{low = array<i64: 1, 0>, high = array<i64: 2, 3>, value = 0.000000e+00 : f32}> : (tensor<2x3xf32>) -> tensor<5x6xf32>
  %0 = ptensor.pad %x {low = array<i64: 1, 0>, high = array<i64: 2, 3>, value = 0.0 : f32} : tensor<2x3xf32> -> tensor<5x6xf32>
  // CHECK-NEXT: ptensor.pad %{{.*}} {low = array<i64: 0>, high = array<i64: 0>, value = -128 : i8} : tensor<4xi8> -> tensor<4xi8>
  %1 = ptensor.pad %i {low = array<i64: 0>, high = array<i64: 0>, value = -128 : i8} : tensor<4xi8> -> tensor<4xi8>
  func.return
}
