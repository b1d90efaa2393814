// Diagnostics of the elementwise unary ops, and the type checks every op shares:
// non-tensor, unranked and dynamic types, errors inside nested regions.
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s

func.func @float_only(%x: tensor<2xi32>) -> tensor<2xi32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.exp' op operand has element type i32; expected one of f32, f16
  %0 = ptensor.exp %x : tensor<2xi32>
  func.return %0 : tensor<2xi32>
}

// -----

func.func @trig_float_only(%x: tensor<3xi8>) -> tensor<3xi8> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.acos' op operand has element type i8; expected one of f32, f16
  %0 = ptensor.acos %x : tensor<3xi8>
  func.return %0 : tensor<3xi8>
}

// -----

func.func @no_i1(%x: tensor<2xi1>) -> tensor<2xi1> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.neg' op operand has element type i1; expected one of f32, f16, i32, i8
  %0 = ptensor.neg %x : tensor<2xi1>
  func.return %0 : tensor<2xi1>
}

// -----

func.func @scalar_operand(%x: f32) -> f32 {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.relu' op expected a ranked tensor type, got f32
  %0 = ptensor.relu %x : f32
  func.return %0 : f32
}

// -----

func.func @unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.tanh' op expected a ranked tensor type, got tensor<*xf32>
  %0 = ptensor.tanh %x : tensor<*xf32>
  func.return %0 : tensor<*xf32>
}

// -----

func.func @dynamic(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.sigmoid' op operand #0 has dynamic shape tensor<?x3xf32>; only static shapes are supported
  %0 = ptensor.sigmoid %x : tensor<?x3xf32>
  func.return %0 : tensor<?x3xf32>
}

// -----

func.func @generic_scalar_operand(%x: f32) -> tensor<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.log' op operand #0 must be a ranked tensor, got f32
  %0 = "ptensor.log"(%x) : (f32) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @generic_memref_result(%x: tensor<2xf32>) -> memref<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.sqrt' op result must be a ranked tensor, got memref<2xf32>
  %0 = "ptensor.sqrt"(%x) : (tensor<2xf32>) -> memref<2xf32>
  func.return %0 : memref<2xf32>
}

// -----

func.func @generic_dynamic_result(%x: tensor<2xf32>) -> tensor<?xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.rsqrt' op result has dynamic shape tensor<?xf32>; only static shapes are supported
  %0 = "ptensor.rsqrt"(%x) : (tensor<2xf32>) -> tensor<?xf32>
  func.return %0 : tensor<?xf32>
}

// -----

func.func @result_differs(%x: tensor<2xf32>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.gelu' op result type tensor<3xf32> differs from operand type tensor<2xf32>
  %0 = "ptensor.gelu"(%x) : (tensor<2xf32>) -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @two_operands(%x: tensor<2xf32>) -> tensor<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.abs' op expects 1 operand, got 2
  %0 = "ptensor.abs"(%x, %x) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @in_nested_region(%x: tensor<2xi8>, %c: i1) -> tensor<2xi8> {
  %0 = scf.if %c -> (tensor<2xi8>) {
    scf.yield %x : tensor<2xi8>
  } else {
    %1 = ptensor.relu6 %x : tensor<2xi8>
    // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:5: error: 'ptensor.sqrt' op operand has element type i8; expected one of f32, f16
    %2 = ptensor.sqrt %1 : tensor<2xi8>
    scf.yield %2 : tensor<2xi8>
  }
  func.return %0 : tensor<2xi8>
}

// -----

func.func @clamp_bound_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.clamp' op min bound has type i32, expected the operand's element type f32
  %0 = ptensor.clamp %x {min = 0 : i32, max = 6.0 : f32} : tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// -----

func.func @clamp_max_type(%x: tensor<4xi8>) -> tensor<4xi8> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.clamp' op max bound has type i32, expected the operand's element type i8
  %0 = ptensor.clamp %x {min = 0 : i8, max = 6 : i32} : tensor<4xi8>
  func.return %0 : tensor<4xi8>
}

// -----

func.func @clamp_min_above_max(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.clamp' op min 6.0 exceeds max 0.0
  %0 = ptensor.clamp %x {min = 6.0 : f32, max = 0.0 : f32} : tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// -----

func.func @clamp_bound_not_number(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.clamp' op property 'min' is invalid: Unexpected attribute "low"
  %0 = ptensor.clamp %x {min = "low", max = 0.0 : f32} : tensor<4xf32>
  func.return %0 : tensor<4xf32>
}

// -----

func.func @clamp_without_max(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.clamp' op requires property 'max'
  %0 = ptensor.clamp %x {min = 0.0 : f32} : tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
