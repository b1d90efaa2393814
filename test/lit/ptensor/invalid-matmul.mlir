// Diagnostics of matmul.
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s

func.func @contraction(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.matmul' op matmul contraction mismatch: lhs 2x3 has K=3 but rhs 4x5 has K=4
  %0 = ptensor.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  func.return %0 : tensor<2x5xf32>
}

// -----

func.func @rank_one(%a: tensor<3xf32>, %b: tensor<3x4xf32>) -> tensor<4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.matmul' op matmul operands need rank >= 2, got 3 and 3x4
  %0 = ptensor.matmul %a, %b : tensor<3xf32>, tensor<3x4xf32> -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// -----

func.func @batch(%a: tensor<2x2x3xf32>, %b: tensor<5x3x4xf32>) -> tensor<2x2x4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.matmul' op matmul batch dimensions: shapes 2 and 5 do not broadcast: dimension 0 of the result would be [2, 5]
  %0 = ptensor.matmul %a, %b : tensor<2x2x3xf32>, tensor<5x3x4xf32> -> tensor<2x2x4xf32>
  func.return %0 : tensor<2x2x4xf32>
}

// -----

func.func @mixed(%a: tensor<2x3xf32>, %b: tensor<3x4xf16>) -> tensor<2x4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.matmul' op operand element types differ: f32 and f16
  %0 = ptensor.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf16> -> tensor<2x4xf32>
  func.return %0 : tensor<2x4xf32>
}

// -----

func.func @i8_needs_i32_result(%a: tensor<2x3xi8>, %b: tensor<3x4xi8>) -> tensor<2x4xi8> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.matmul' op result type tensor<2x4xi8> does not match the inferred type tensor<2x4xi32>
  %0 = ptensor.matmul %a, %b : tensor<2x3xi8>, tensor<3x4xi8> -> tensor<2x4xi8>
  func.return %0 : tensor<2x4xi8>
}

// -----

func.func @wrong_result(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<4x2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.matmul' op result type tensor<4x2xf32> does not match the inferred type tensor<2x4xf32>
  %0 = ptensor.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<4x2xf32>
  func.return %0 : tensor<4x2xf32>
}

// -----

func.func @bools(%a: tensor<2x2xi1>) -> tensor<2x2xi1> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.matmul' op lhs has element type i1; expected one of f32, f16, i32, i8
  %0 = ptensor.matmul %a, %a : tensor<2x2xi1>, tensor<2x2xi1> -> tensor<2x2xi1>
  func.return %0 : tensor<2x2xi1>
}
