// Diagnostics of compare, select and cast.
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s

func.func @unknown_predicate(%a: tensor<3xf32>) -> tensor<3xi1> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.compare' op unknown predicate 'less'; expected one of eq, ne, lt, le, gt, ge
  %0 = ptensor.compare "less", %a, %a : tensor<3xf32>, tensor<3xf32> -> tensor<3xi1>
  func.return %0 : tensor<3xi1>
}

// -----

func.func @compare_result_not_i1(%a: tensor<3xf32>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.compare' op result type tensor<3xf32> does not match the inferred type tensor<3xi1>
  %0 = ptensor.compare "eq", %a, %a : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @compare_mixed(%a: tensor<3xi32>, %b: tensor<3xi8>) -> tensor<3xi1> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.compare' op operand element types differ: i32 and i8
  %0 = ptensor.compare "lt", %a, %b : tensor<3xi32>, tensor<3xi8> -> tensor<3xi1>
  func.return %0 : tensor<3xi1>
}

// -----

func.func @compare_bools(%a: tensor<3xi1>) -> tensor<3xi1> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.compare' op lhs has element type i1; expected one of f32, f16, i32, i8
  %0 = ptensor.compare "eq", %a, %a : tensor<3xi1>, tensor<3xi1> -> tensor<3xi1>
  func.return %0 : tensor<3xi1>
}

// -----

func.func @compare_no_broadcast(%a: tensor<3xf32>, %b: tensor<2xf32>) -> tensor<3xi1> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.compare' op shapes 3 and 2 do not broadcast: dimension 0 of the result would be [2, 3]
  %0 = ptensor.compare "ge", %a, %b : tensor<3xf32>, tensor<2xf32> -> tensor<3xi1>
  func.return %0 : tensor<3xi1>
}

// -----

func.func @compare_predicate_not_string(%a: tensor<3xf32>) -> tensor<3xi1> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.compare' op property 'predicate' is invalid: 1 : i64 should be of base attribute string
  %0 = "ptensor.compare"(%a, %a) <{predicate = 1 : i64}> : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  func.return %0 : tensor<3xi1>
}

// -----

func.func @select_condition_not_i1(%c: tensor<3xi8>, %a: tensor<3xf32>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.select' op condition has element type i8; expected i1
  %0 = ptensor.select %c, %a, %a : tensor<3xi8>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @select_values_differ(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xf16>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.select' op true value has element type f32 but false value has f16
  %0 = ptensor.select %c, %a, %b : tensor<3xi1>, tensor<3xf32>, tensor<3xf16> -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @select_bool_values(%c: tensor<3xi1>) -> tensor<3xi1> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.select' op true value has element type i1; expected one of f32, f16, i32, i8
  %0 = ptensor.select %c, %c, %c : tensor<3xi1>, tensor<3xi1>, tensor<3xi1> -> tensor<3xi1>
  func.return %0 : tensor<3xi1>
}

// -----

func.func @select_no_broadcast(%c: tensor<4xi1>, %a: tensor<3xf32>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.select' op shapes 4 and 3 and 3 do not broadcast: dimension 0 of the result would be [3, 4]
  %0 = ptensor.select %c, %a, %a : tensor<4xi1>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @select_result(%c: tensor<3xi1>, %a: tensor<3xf32>) -> tensor<1x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.select' op result type tensor<1x3xf32> does not match the inferred type tensor<3xf32>
  %0 = ptensor.select %c, %a, %a : tensor<3xi1>, tensor<3xf32>, tensor<3xf32> -> tensor<1x3xf32>
  func.return %0 : tensor<1x3xf32>
}

// -----

func.func @cast_shape(%a: tensor<2x3xf32>) -> tensor<3x2xi8> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.cast' op result type tensor<3x2xi8> does not match the inferred type tensor<2x3xi8>
  %0 = ptensor.cast %a : tensor<2x3xf32> -> tensor<3x2xi8>
  func.return %0 : tensor<3x2xi8>
}

// -----

func.func @cast_from_i64(%a: tensor<2xi64>) -> tensor<2xi32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.cast' op operand has element type i64; expected one of f32, f16, i32, i8, i1
  %0 = ptensor.cast %a : tensor<2xi64> -> tensor<2xi32>
  func.return %0 : tensor<2xi32>
}

// -----

func.func @cast_to_f64(%a: tensor<2xf32>) -> tensor<2xf64> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.cast' op result has element type f64; expected one of f32, f16, i32, i8, i1
  %0 = ptensor.cast %a : tensor<2xf32> -> tensor<2xf64>
  func.return %0 : tensor<2xf64>
}
