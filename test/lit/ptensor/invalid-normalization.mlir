// Diagnostics of softmax, layer_norm and batch_norm.
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s

func.func @softmax_axis(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.softmax' op axis 2 is out of range for rank 2
  %0 = ptensor.softmax %x {axis = 2 : i64} : tensor<2x10xf32> -> tensor<2x10xf32>
  func.return %0 : tensor<2x10xf32>
}

// -----

func.func @softmax_integers(%x: tensor<2x10xi32>) -> tensor<2x10xi32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.softmax' op input has element type i32; expected one of f32, f16
  %0 = ptensor.softmax %x {axis = 1 : i64} : tensor<2x10xi32> -> tensor<2x10xi32>
  func.return %0 : tensor<2x10xi32>
}

// -----

func.func @softmax_result(%x: tensor<2x10xf32>) -> tensor<10x2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.softmax' op result type tensor<10x2xf32> does not match the inferred type tensor<2x10xf32>
  %0 = ptensor.softmax %x {axis = 1 : i64} : tensor<2x10xf32> -> tensor<10x2xf32>
  func.return %0 : tensor<10x2xf32>
}

// -----

func.func @softmax_axis_float(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.softmax' op property 'axis' is invalid: 1.000000e+00 : f32 should be of base attribute integer
  %0 = ptensor.softmax %x {axis = 1.0 : f32} : tensor<2x10xf32> -> tensor<2x10xf32>
  func.return %0 : tensor<2x10xf32>
}

// -----

func.func @softmax_axis_i32(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.softmax' op property 'axis' is invalid: Expected attribute i64 but got i32
  %0 = ptensor.softmax %x {axis = 1 : i32} : tensor<2x10xf32> -> tensor<2x10xf32>
  func.return %0 : tensor<2x10xf32>
}

// -----

func.func @softmax_scalar(%x: tensor<f32>) -> tensor<f32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.softmax' op axis 0 is out of range for rank 0
  %0 = ptensor.softmax %x {axis = 0 : i64} : tensor<f32> -> tensor<f32>
  func.return %0 : tensor<f32>
}

// -----

func.func @layer_norm_scale(%x: tensor<2x8xf32>, %s: tensor<4xf32>, %o: tensor<8xf32>) -> tensor<2x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.layer_norm' op scale must be tensor<8xf32>, got tensor<4xf32>
  %0 = ptensor.layer_norm %x, %s, %o {axis = -1 : i64, epsilon = 1.0e-5 : f32} : tensor<2x8xf32>, tensor<4xf32>, tensor<8xf32> -> tensor<2x8xf32>
  func.return %0 : tensor<2x8xf32>
}

// -----

func.func @layer_norm_offset_element(%x: tensor<2x8xf32>, %s: tensor<8xf32>, %o: tensor<8xf16>) -> tensor<2x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.layer_norm' op offset must be tensor<8xf32>, got tensor<8xf16>
  %0 = ptensor.layer_norm %x, %s, %o {axis = -1 : i64, epsilon = 1.0e-5 : f32} : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf16> -> tensor<2x8xf32>
  func.return %0 : tensor<2x8xf32>
}

// -----

func.func @layer_norm_axis(%x: tensor<2x8xf32>, %s: tensor<8xf32>) -> tensor<2x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.layer_norm' op axis -3 is out of range for rank 2
  %0 = ptensor.layer_norm %x, %s, %s {axis = -3 : i64, epsilon = 1.0e-5 : f32} : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  func.return %0 : tensor<2x8xf32>
}

// -----

func.func @layer_norm_integers(%x: tensor<2x8xi8>, %s: tensor<8xi8>) -> tensor<2x8xi8> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.layer_norm' op input has element type i8; expected one of f32, f16
  %0 = ptensor.layer_norm %x, %s, %s {axis = -1 : i64, epsilon = 1.0e-5 : f32} : tensor<2x8xi8>, tensor<8xi8>, tensor<8xi8> -> tensor<2x8xi8>
  func.return %0 : tensor<2x8xi8>
}

// -----

func.func @layer_norm_epsilon(%x: tensor<2x8xf32>, %s: tensor<8xf32>) -> tensor<2x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.layer_norm' op property 'epsilon' is invalid: 1 : i64 should be of base attribute float
  %0 = ptensor.layer_norm %x, %s, %s {axis = -1 : i64, epsilon = 1 : i64} : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  func.return %0 : tensor<2x8xf32>
}

// -----

func.func @layer_norm_result(%x: tensor<2x8xf32>, %s: tensor<8xf32>) -> tensor<2x8xf16> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.layer_norm' op result type tensor<2x8xf16> does not match the inferred type tensor<2x8xf32>
  %0 = ptensor.layer_norm %x, %s, %s {axis = -1 : i64, epsilon = 1.0e-5 : f32} : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<2x8xf16>
  func.return %0 : tensor<2x8xf16>
}

// -----

func.func @batch_norm_scalar(%x: tensor<f32>, %c: tensor<1xf32>) -> tensor<f32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.batch_norm' op input needs rank >= 1 (its last dimension is the channel), got tensor<f32>
  %0 = ptensor.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-5 : f32} : tensor<f32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32> -> tensor<f32>
  func.return %0 : tensor<f32>
}

// -----

func.func @batch_norm_variance(%x: tensor<1x4x4x3xf32>, %c: tensor<3xf32>, %v: tensor<4xf32>) -> tensor<1x4x4x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.batch_norm' op variance must be tensor<3xf32>, got tensor<4xf32>
  %0 = ptensor.batch_norm %x, %c, %c, %c, %v {epsilon = 1.0e-5 : f32} : tensor<1x4x4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<4xf32> -> tensor<1x4x4x3xf32>
  func.return %0 : tensor<1x4x4x3xf32>
}

// -----

func.func @batch_norm_mean_element(%x: tensor<1x4x4x3xf16>, %c: tensor<3xf16>, %m: tensor<3xf32>) -> tensor<1x4x4x3xf16> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.batch_norm' op mean must be tensor<3xf16>, got tensor<3xf32>
  %0 = ptensor.batch_norm %x, %c, %c, %m, %c {epsilon = 1.0e-5 : f32} : tensor<1x4x4x3xf16>, tensor<3xf16>, tensor<3xf16>, tensor<3xf32>, tensor<3xf16> -> tensor<1x4x4x3xf16>
  func.return %0 : tensor<1x4x4x3xf16>
}

// -----

func.func @batch_norm_integers(%x: tensor<1x3xi32>, %c: tensor<3xi32>) -> tensor<1x3xi32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.batch_norm' op input has element type i32; expected one of f32, f16
  %0 = ptensor.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-5 : f32} : tensor<1x3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32> -> tensor<1x3xi32>
  func.return %0 : tensor<1x3xi32>
}

// -----

func.func @batch_norm_result(%x: tensor<1x3xf32>, %c: tensor<3xf32>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.batch_norm' op result type tensor<3xf32> does not match the inferred type tensor<1x3xf32>
  %0 = ptensor.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-5 : f32} : tensor<1x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}
