// Diagnostics of transpose, reshape, broadcast, slice, concat and pad.
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s

func.func @not_a_permutation(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.transpose' op permutation [1, 1] is not a permutation of 0..1
  %0 = ptensor.transpose %x {permutation = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}

// -----

func.func @permutation_length(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.transpose' op permutation [1, 0, 2] is not a permutation of 0..1
  %0 = ptensor.transpose %x {permutation = array<i64: 1, 0, 2>} : tensor<2x3xf32> -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_result(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.transpose' op result type tensor<2x3xf32> does not match the inferred type tensor<3x2xf32>
  %0 = ptensor.transpose %x {permutation = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}

// -----

func.func @permutation_i32(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.transpose' op property 'permutation' is invalid: Expected attribute i64 but got i32
  %0 = ptensor.transpose %x {permutation = array<i32: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<7xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.reshape' op reshape from 2x3 (6 elements) to 7 (7 elements) changes the element count
  %0 = ptensor.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  func.return %0 : tensor<7xf32>
}

// -----

func.func @reshape_element(%x: tensor<2x3xf32>) -> tensor<6xi32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.reshape' op result type tensor<6xi32> does not match the inferred type tensor<6xf32>
  %0 = ptensor.reshape %x : tensor<2x3xf32> -> tensor<6xi32>
  func.return %0 : tensor<6xi32>
}

// -----

func.func @reshape_dynamic(%x: tensor<2x3xf32>) -> tensor<?xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.reshape' op result has dynamic shape tensor<?xf32>; only static shapes are supported
  %0 = ptensor.reshape %x : tensor<2x3xf32> -> tensor<?xf32>
  func.return %0 : tensor<?xf32>
}

// -----

func.func @broadcast_mismatch(%x: tensor<3xf32>) -> tensor<2x4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.broadcast' op shape 3 cannot broadcast to 2x4
  %0 = ptensor.broadcast %x : tensor<3xf32> -> tensor<2x4xf32>
  func.return %0 : tensor<2x4xf32>
}

// -----

func.func @broadcast_lower_rank(%x: tensor<1x3xf32>) -> tensor<3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.broadcast' op shape 1x3 cannot broadcast to 3
  %0 = ptensor.broadcast %x : tensor<1x3xf32> -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

func.func @broadcast_shrinks(%x: tensor<2x3xf32>) -> tensor<1x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.broadcast' op shape 2x3 cannot broadcast to 1x3
  %0 = ptensor.broadcast %x : tensor<2x3xf32> -> tensor<1x3xf32>
  func.return %0 : tensor<1x3xf32>
}

// -----

func.func @broadcast_element(%x: tensor<3xf32>) -> tensor<2x3xf16> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.broadcast' op result type tensor<2x3xf16> does not match the inferred type tensor<2x3xf32>
  %0 = ptensor.broadcast %x : tensor<3xf32> -> tensor<2x3xf16>
  func.return %0 : tensor<2x3xf16>
}

// -----

func.func @slice_entries(%x: tensor<8x10xf32>) -> tensor<3x4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.slice' op slice offsets has 1 entries, expected 2
  %0 = ptensor.slice %x {offsets = array<i64: 1>, sizes = array<i64: 3, 4>, strides = array<i64: 1, 1>} : tensor<8x10xf32> -> tensor<3x4xf32>
  func.return %0 : tensor<3x4xf32>
}

// -----

func.func @slice_zero_stride(%x: tensor<8x10xf32>) -> tensor<3x4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.slice' op slice dimension 1: offset 2, size 4 and stride 0 must be >= 0, >= 0 and >= 1
  %0 = ptensor.slice %x {offsets = array<i64: 1, 2>, sizes = array<i64: 3, 4>, strides = array<i64: 1, 0>} : tensor<8x10xf32> -> tensor<3x4xf32>
  func.return %0 : tensor<3x4xf32>
}

// -----

func.func @slice_negative_offset(%x: tensor<8x10xf32>) -> tensor<3x4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.slice' op slice dimension 0: offset -1, size 3 and stride 1 must be >= 0, >= 0 and >= 1
  %0 = ptensor.slice %x {offsets = array<i64: -1, 2>, sizes = array<i64: 3, 4>, strides = array<i64: 1, 1>} : tensor<8x10xf32> -> tensor<3x4xf32>
  func.return %0 : tensor<3x4xf32>
}

// -----

func.func @slice_past_end(%x: tensor<8x10xf32>) -> tensor<3x4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.slice' op slice dimension 1: offset 2 + (size 4 - 1) * stride 3 reaches past the dimension's size 10
  %0 = ptensor.slice %x {offsets = array<i64: 1, 2>, sizes = array<i64: 3, 4>, strides = array<i64: 1, 3>} : tensor<8x10xf32> -> tensor<3x4xf32>
  func.return %0 : tensor<3x4xf32>
}

// -----

func.func @slice_result(%x: tensor<8x10xf32>) -> tensor<4x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.slice' op result type tensor<4x3xf32> does not match the inferred type tensor<3x4xf32>
  %0 = ptensor.slice %x {offsets = array<i64: 1, 2>, sizes = array<i64: 3, 4>, strides = array<i64: 1, 1>} : tensor<8x10xf32> -> tensor<4x3xf32>
  func.return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_shapes(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<5x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.concat' op concat operand 1 has shape 3x4, which differs from 2x3 outside axis 0
  %0 = ptensor.concat %a, %b {axis = 0 : i64} : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<5x3xf32>
  func.return %0 : tensor<5x3xf32>
}

// -----

func.func @concat_ranks(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<5x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.concat' op concat operand 1 has shape 3, which differs from 2x3 outside axis 0
  %0 = ptensor.concat %a, %b {axis = 0 : i64} : tensor<2x3xf32>, tensor<3xf32> -> tensor<5x3xf32>
  func.return %0 : tensor<5x3xf32>
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.concat' op axis 2 is out of range for rank 2
  %0 = ptensor.concat %a, %a {axis = 2 : i64} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
  func.return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_elements(%a: tensor<2x3xf32>, %b: tensor<2x3xi32>) -> tensor<4x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.concat' op operand #1 has element type i32, expected f32 as operand #0 has
  %0 = ptensor.concat %a, %b {axis = 0 : i64} : tensor<2x3xf32>, tensor<2x3xi32> -> tensor<4x3xf32>
  func.return %0 : tensor<4x3xf32>
}

// -----

func.func @concat_nothing() -> tensor<2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.concat' op concat needs at least one operand
  %0 = "ptensor.concat"() <{axis = 0 : i64}> : () -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @concat_result(%a: tensor<2x3xf32>) -> tensor<2x6xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.concat' op result type tensor<2x6xf32> does not match the inferred type tensor<4x3xf32>
  %0 = ptensor.concat %a, %a {axis = 0 : i64} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x6xf32>
  func.return %0 : tensor<2x6xf32>
}

// -----

func.func @pad_amounts(%x: tensor<2x3xf32>) -> tensor<3x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.pad' op pad needs 2 low and high amounts, got 1 and 2
  %0 = ptensor.pad %x {low = array<i64: 1>, high = array<i64: 0, 0>, value = 0.0 : f32} : tensor<2x3xf32> -> tensor<3x3xf32>
  func.return %0 : tensor<3x3xf32>
}

// -----

func.func @pad_negative(%x: tensor<2x3xf32>) -> tensor<1x3xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.pad' op pad amounts must be >= 0, got low [-1, 0] and high [0, 0]
  %0 = ptensor.pad %x {low = array<i64: -1, 0>, high = array<i64: 0, 0>, value = 0.0 : f32} : tensor<2x3xf32> -> tensor<1x3xf32>
  func.return %0 : tensor<1x3xf32>
}

// -----

func.func @pad_value_type(%x: tensor<2x3xi8>) -> tensor<4x3xi8> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.pad' op pad value has type f32, expected the operand's element type i8
  %0 = ptensor.pad %x {low = array<i64: 1, 0>, high = array<i64: 1, 0>, value = 0.0 : f32} : tensor<2x3xi8> -> tensor<4x3xi8>
  func.return %0 : tensor<4x3xi8>
}

// -----

func.func @pad_result(%x: tensor<2x3xf32>) -> tensor<4x4xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.pad' op result type tensor<4x4xf32> does not match the inferred type tensor<4x3xf32>
  %0 = ptensor.pad %x {low = array<i64: 1, 0>, high = array<i64: 1, 0>, value = 0.0 : f32} : tensor<2x3xf32> -> tensor<4x4xf32>
  func.return %0 : tensor<4x4xf32>
}
