// Diagnostics of the elementwise binary ops and of broadcasting.
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s

func.func @no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.add' op shapes 2x3 and 4 do not broadcast: dimension 1 of the result would be [3, 4]
  %0 = ptensor.add %a, %b : tensor<2x3xf32>, tensor<4xf32> -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}

// -----

func.func @wrong_result_shape(%a: tensor<2x1xf32>, %b: tensor<3xf32>) -> tensor<2x1xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.mul' op result type tensor<2x1xf32> does not match the inferred type tensor<2x3xf32>
  %0 = ptensor.mul %a, %b : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x1xf32>
  func.return %0 : tensor<2x1xf32>
}

// -----

func.func @wrong_result_element(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.sub' op result type tensor<3xf32> does not match the inferred type tensor<3xi32>
  %0 = ptensor.sub %a, %b : tensor<3xi32>, tensor<3xi32> -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @mixed_elements(%a: tensor<3xf32>, %b: tensor<3xf16>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.div' op operand element types differ: f32 and f16
  %0 = ptensor.div %a, %b : tensor<3xf32>, tensor<3xf16> -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @bool_operands(%a: tensor<3xi1>) -> tensor<3xi1> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.max' op lhs has element type i1; expected one of f32, f16, i32, i8
  %0 = ptensor.max %a, %a : tensor<3xi1>, tensor<3xi1> -> tensor<3xi1>
  func.return %0 : tensor<3xi1>
}

// -----

func.func @memref_operand(%a: memref<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.min' op expected a ranked tensor type, got memref<3xf32>
  %0 = ptensor.min %a, %b : memref<3xf32>, tensor<3xf32> -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @dynamic_rhs(%a: tensor<3xf32>, %b: tensor<?xf32>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.add' op operand #1 has dynamic shape tensor<?xf32>; only static shapes are supported
  %0 = ptensor.add %a, %b : tensor<3xf32>, tensor<?xf32> -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @generic_one_operand(%a: tensor<3xf32>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.add' op expects 2 operands, got 1
  %0 = "ptensor.add"(%a) : (tensor<3xf32>) -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @generic_two_results(%a: tensor<3xf32>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.add' op expects 1 result, got 2
  %0, %1 = "ptensor.add"(%a, %a) : (tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  func.return %0 : tensor<3xf32>
}

// -----

func.func @rank_mismatch_in_middle(%a: tensor<4x2x3xi8>, %b: tensor<5x1xi8>) -> tensor<4x5x3xi8> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.add' op shapes 4x2x3 and 5x1 do not broadcast: dimension 1 of the result would be [2, 5]
  %0 = ptensor.add %a, %b : tensor<4x2x3xi8>, tensor<5x1xi8> -> tensor<4x5x3xi8>
  func.return %0 : tensor<4x5x3xi8>
}
