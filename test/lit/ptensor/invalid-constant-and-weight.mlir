// Diagnostics of ptensor.constant and ptensor.weight.
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s

func.func @not_dense() -> tensor<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:25: error: ptensor.constant expects a dense<...> : tensor<...> literal
  %0 = ptensor.constant 1.0 : f32
  func.return %0 : tensor<2xf32>
}

// -----

func.func @literal_shape() -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:25: error: Shape mismatch in dense literal. Expected [3] shape from the type, but got [2] shape.
  %0 = ptensor.constant dense<[1.0, 2.0]> : tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @dynamic_literal() -> tensor<?xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:25: error: Dense literal attribute should have a static shape.
  %0 = ptensor.constant dense<[1.0, 2.0]> : tensor<?xf32>
  func.return %0 : tensor<?xf32>
}

// -----

func.func @i64_constant() -> tensor<2xi64> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.constant' op result has element type i64; expected one of f32, f16, i32, i8, i1
  %0 = ptensor.constant dense<[1, 2]> : tensor<2xi64>
  func.return %0 : tensor<2xi64>
}

// -----

func.func @vector_constant() -> vector<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.constant' op result must be a ranked tensor, got vector<2xf32>
  %0 = ptensor.constant dense<[1.0, 2.0]> : vector<2xf32>
  func.return %0 : vector<2xf32>
}

// -----

func.func @value_and_result_differ() -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.constant' op value type tensor<2xf32> differs from result type tensor<3xf32>
  %0 = "ptensor.constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @value_not_dense() -> tensor<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.constant' op property 'value' is invalid: 1.000000e+00 : f32 should be of base attribute dense
  %0 = "ptensor.constant"() <{value = 1.0 : f32}> : () -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @missing_value() -> tensor<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.constant' op requires property 'value'
  %0 = "ptensor.constant"() : () -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @weight_i1() -> tensor<4xi1> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.weight' op result has element type i1; expected one of f32, f16, i32, i8
  %0 = ptensor.weight "mask" at 0 : tensor<4xi1>
  func.return %0 : tensor<4xi1>
}

// -----

func.func @weight_negative_offset() -> tensor<4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.weight' op offset -8 is negative
  %0 = ptensor.weight "w" at -8 : tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// -----

func.func @weight_dynamic() -> tensor<?x4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.weight' op result has dynamic shape tensor<?x4xf32>; only static shapes are supported
  %0 = ptensor.weight "w" at 0 : tensor<?x4xf32>
  func.return %0 : tensor<?x4xf32>
}

// -----

func.func @weight_scalar_type() -> f32 {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.weight' op expected a ranked tensor type, got f32
  %0 = ptensor.weight "w" at 0 : f32
  func.return %0 : f32
}

// -----

func.func @weight_key_not_string() -> tensor<4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.weight' op property 'key' is invalid: 3 : i64 should be of base attribute string
  %0 = "ptensor.weight"() <{key = 3 : i64, offset = 0 : i64}> : () -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// -----

func.func @attribute_shadows_property() -> tensor<4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.weight' op attribute 'offset' shadows the property of that name; write it once, as the property
  %0 = ptensor.weight "w" at 0 {offset = 0 : i32} : tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
