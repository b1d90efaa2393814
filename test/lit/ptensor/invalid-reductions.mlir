// Diagnostics of the reductions and argmax.
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s

func.func @axis_out_of_range(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.reduce_sum' op axis 2 is out of range for rank 2
  %0 = ptensor.reduce_sum %x {axes = array<i64: 2>} : tensor<2x3xf32> -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @negative_axis_out_of_range(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.reduce_max' op axis -3 is out of range for rank 2
  %0 = ptensor.reduce_max %x {axes = array<i64: -3>} : tensor<2x3xf32> -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @repeated_axis(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.reduce_min' op axes [1, -1] repeat an axis
  %0 = ptensor.reduce_min %x {axes = array<i64: 1, -1>} : tensor<2x3xf32> -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @no_axes(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.reduce_mean' op a reduction needs at least one axis
  %0 = ptensor.reduce_mean %x {axes = array<i64>} : tensor<2x3xf32> -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}

// -----

func.func @keepdims_forgotten(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.reduce_sum' op result type tensor<2x1xf32> does not match the inferred type tensor<2xf32>
  %0 = ptensor.reduce_sum %x {axes = array<i64: 1>} : tensor<2x3xf32> -> tensor<2x1xf32>
  func.return %0 : tensor<2x1xf32>
}

// -----

func.func @bool_input(%x: tensor<4xi1>) -> tensor<i1> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.reduce_max' op operand has element type i1; expected one of f32, f16, i32, i8
  %0 = ptensor.reduce_max %x {axes = array<i64: 0>} : tensor<4xi1> -> tensor<i1>
  func.return %0 : tensor<i1>
}

// -----

func.func @axes_not_array(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.reduce_sum' op property 'axes' is invalid: 1 : i64 should be of base attribute array
  %0 = ptensor.reduce_sum %x {axes = 1 : i64} : tensor<2x3xf32> -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @missing_axes(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.reduce_sum' op requires property 'axes'
  %0 = ptensor.reduce_sum %x : tensor<2x3xf32> -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @argmax_two_axes(%x: tensor<2x3xf32>) -> tensor<i32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.argmax' op takes exactly one axis, got [0, 1]
  %0 = ptensor.argmax %x {axes = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<i32>
  func.return %0 : tensor<i32>
}

// -----

func.func @argmax_result_element(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.argmax' op result type tensor<2xf32> does not match the inferred type tensor<2xi32>
  %0 = ptensor.argmax %x {axes = array<i64: 1>} : tensor<2x3xf32> -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
