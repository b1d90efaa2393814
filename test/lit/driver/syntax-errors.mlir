// Syntax errors are reported as FILE:LINE:COL: error: at the offending token,
// with the right line in every --split-input-file chunk.
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s

// CHECK: syntax-errors.mlir:[[# @LINE + 1]]:44: error: ')' expected
func.func @missing_paren(%x: tensor<2xf32> -> tensor<2xf32> {
  func.return %x : tensor<2xf32>
}

// -----

func.func @undefined_value() -> tensor<2xf32> {
  // CHECK: syntax-errors.mlir:[[# @LINE + 1]]:15: error: use of undeclared SSA value name '%nope'
  func.return %nope : tensor<2xf32>
}

// -----

// CHECK: syntax-errors.mlir:[[# @LINE + 1]]:34: error: Expected shape type.
func.func @bad_type(%x: tensor<2xfoo>) {
  func.return
}

// -----

// The region is never closed: the error is at the end of this chunk.
func.func @unclosed_region(%x: tensor<2xf32>) {
  %0 = ptensor.exp %x : tensor<2xf32>
// CHECK: syntax-errors.mlir:[[# @LINE + 2]]:1: error: expected an operation, a block label or '}', got the end of the input

// -----

func.func @type_mismatch_with_definition(%x: tensor<2xf32>) -> tensor<3xf32> {
  // CHECK: syntax-errors.mlir:[[# @LINE + 1]]:20: error: operand is used with type tensor<3xf32>, but has been previously used or defined with type tensor<2xf32>
  %0 = ptensor.exp %x : tensor<3xf32>
  func.return %0 : tensor<3xf32>
}

// -----

// CHECK: syntax-errors.mlir:[[# @LINE + 1]]:1: error: Expected suffix identifier after '%'
%

// -----

// The missing `-> type` is noticed at the next token.
func.func @missing_result_type(%x: tensor<2xf32>) -> tensor<2xf32> {
  // CHECK: syntax-errors.mlir:[[# @LINE + 2]]:3: error: Expected '->'
  %0 = ptensor.add %x, %x : tensor<2xf32>, tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @redefined(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = ptensor.exp %x : tensor<2xf32>
  // CHECK: syntax-errors.mlir:[[# @LINE + 1]]:3: error: SSA value %0 is already defined
  %0 = ptensor.exp %x : tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @bad_literal() -> tensor<2xf32> {
  // CHECK: syntax-errors.mlir:[[# @LINE + 1]]:40: error: ']' expected
  %0 = ptensor.constant dense<[1.0, 2.0> : tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @garbage_in_block() {
  // CHECK: syntax-errors.mlir:[[# @LINE + 1]]:3: error: expected an operation, a block label or '}', got '42'
  42
}

// -----

// An unterminated string on a long line is reported at once (it once made the
// lexer backtrack exponentially).
func.func @unterminated_string(%x: tensor<2x5x8xf16>, %s: tensor<8xf16>) -> tensor<2x5x8xf16> {
  // CHECK: syntax-errors.mlir:[[# @LINE + 1]]:5: error: End of file reached before closing string literal.
  %l"= ptensor.layer_norm %x, %s, %s {axis = -1 : i64, epsilon = 1.0e-5 : f32} : tensor<2x5x8xf16>, tensor<8xf16>, tensor<8xf16> -> tensor<2x5x8xf16>
  func.return %l : tensor<2x5x8xf16>
}

// -----

func.func @too_wide() {
  // CHECK: syntax-errors.mlir:[[# @LINE + 1]]:40: error: integer bitwidth is limited to 16777215 bits
  %0 = "arith.constant"() {value = 1 : i99999999999} : () -> i1
  func.return
}

// -----

func.func @too_wide_for_a_literal() {
  // CHECK: syntax-errors.mlir:[[# @LINE + 1]]:3: error: 'ptensor.constant' op cannot be built: i644 is too wide for a dense array or literal (64 bits at most)
  %0 = ptensor.constant dense<1> : tensor<2xi644>
  func.return
}
