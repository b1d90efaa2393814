// softmax, layer_norm and batch_norm.
// RUN: pelemay-opt %s > %t.custom && filecheck %s --input-file %t.custom
// RUN: pelemay-opt %s --print-op-generic > %t.generic && filecheck %s --check-prefix=GENERIC --input-file %t.generic
// The generic form parses back to the same program.
// RUN: pelemay-opt %t.generic | diff %t.custom -

// CHECK-LABEL: func.func @softmax
func.func @softmax(%x: tensor<2x10xf32>, %h: tensor<4x3x2xf16>) {
  // CHECK-NEXT: ptensor.softmax %{{.*}} {axis = -1 : i64} : tensor<2x10xf32> -> tensor<2x10xf32>
  // GENERIC: "ptensor.softmax"(%{{.*}}) <{axis = -1 : i64}> : (tensor<2x10xf32>) -> tensor<2x10xf32>
  %0 = ptensor.softmax %x {axis = -1 : i64} : tensor<2x10xf32> -> tensor<2x10xf32>
  // CHECK-NEXT: ptensor.softmax %{{.*}} {axis = 1 : i64} : tensor<4x3x2xf16> -> tensor<4x3x2xf16>
  %1 = ptensor.softmax %h {axis = 1 : i64} : tensor<4x3x2xf16> -> tensor<4x3x2xf16>
  func.return
}

// CHECK-LABEL: func.func @layer_norm
func.func @layer_norm(%x: tensor<2x5x8xf32>, %s: tensor<8xf32>, %o: tensor<8xf32>, %s2: tensor<5x8xf32>, %o2: tensor<5x8xf32>) {
  // CHECK-NEXT: ptensor.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = -1 : i64, epsilon = 1.000000e-05 : f32} : tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<2x5x8xf32>
  // GENERIC: "ptensor.layer_norm"(%{{.*}}, %{{.*}}, %{{.*}}) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> : (tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  %0 = ptensor.layer_norm %x, %s, %o {axis = -1 : i64, epsilon = 1.0e-5 : f32} : tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<2x5x8xf32>
  // Normalising over the last two dimensions takes scale and offset of that shape.
  // CHECK-NEXT: ptensor.layer_norm {{.*}} {axis = 1 : i64, epsilon = 1.000000e-03 : f32} : tensor<2x5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32> -> tensor<2x5x8xf32>
  %1 = ptensor.layer_norm %x, %s2, %o2 {axis = 1 : i64, epsilon = 1.0e-3 : f32} : tensor<2x5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32> -> tensor<2x5x8xf32>
  func.return
}

// CHECK-LABEL: func.func @batch_norm
func.func @batch_norm(%x: tensor<1x4x4x3xf32>, %c: tensor<3xf32>, %v: tensor<6xf16>, %cv: tensor<6xf16>) {
  // CHECK-NEXT: ptensor.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 1.000000e-03 : f32} : tensor<1x4x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32> -> tensor<1x4x4x3xf32>
  // GENERIC: "ptensor.batch_norm"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{epsilon = 1.000000e-03 : f32}> : (tensor<1x4x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x4x4x3xf32>
  %0 = ptensor.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-3 : f32} : tensor<1x4x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32> -> tensor<1x4x4x3xf32>
  // A rank-1 input is a single row of channels.
  // CHECK-NEXT: ptensor.batch_norm {{.*}} : tensor<6xf16>, tensor<6xf16>, tensor<6xf16>, tensor<6xf16>, tensor<6xf16> -> tensor<6xf16>
  %1 = ptensor.batch_norm %v, %cv, %cv, %cv, %cv {epsilon = 1.0e-5 : f32} : tensor<6xf16>, tensor<6xf16>, tensor<6xf16>, tensor<6xf16>, tensor<6xf16> -> tensor<6xf16>
  func.return
}
