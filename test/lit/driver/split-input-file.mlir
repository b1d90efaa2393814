// --split-input-file: each `// -----` chunk is parsed, checked and printed on
// its own; line numbers stay those of the whole file; a bad chunk does not stop
// the others, but the run exits 1. Without the flag the markers are comments.
// RUN: not pelemay-opt %s --split-input-file 2>%t.err | filecheck %s --check-prefix=OUT
// RUN: filecheck %s --check-prefix=ERR --input-file %t.err
// RUN: not pelemay-opt %s 2>&1 | filecheck %s --check-prefix=WHOLE
// RUN: pelemay-opt %s --split-input-file --verify-diagnostics | filecheck %s --check-prefix=DIAG

// Only a line holding the marker alone splits: the `// -----` inside these
// check lines does not.
// OUT: builtin.module {
// OUT-NEXT: func.func @first
// OUT: // -----
// OUT-NEXT: builtin.module {
// OUT-NEXT: func.func @third
// OUT: // -----
// OUT-NEXT: builtin.module {
// OUT-NEXT: func.func @fifth
// OUT-NOT: @second
// OUT-NOT: @fourth
func.func @first(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = ptensor.exp %x : tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @second(%x: tensor<2xi8>) -> tensor<2xi8> {
  // ERR: split-input-file.mlir:[[# @LINE + 2]]:3: error: 'ptensor.exp' op operand has element type i8; expected one of f32, f16
  // DIAG: split-input-file.mlir:[[# @LINE + 1]]:3: error: 'ptensor.exp' op operand has element type i8; expected one of f32, f16
  %0 = ptensor.exp %x : tensor<2xi8>
  func.return %0 : tensor<2xi8>
}

// -----

func.func @third(%x: tensor<2xf32>) -> tensor<2xf32> {
  func.return %x : tensor<2xf32>
}

// -----

func.func @fourth(%x: tensor<2xf32>, %c: i1) -> tensor<2xf32> {
  %0 = scf.if %c -> (tensor<2xf32>) {
    // ERR: split-input-file.mlir:[[# @LINE + 1]]:5: error: 'ptensor.reshape' op reshape from 2 (2 elements) to 3 (3 elements) changes the element count
    %1 = ptensor.reshape %x : tensor<2xf32> -> tensor<3xf32>
    scf.yield %x : tensor<2xf32>
  } else {
    scf.yield %x : tensor<2xf32>
  }
  func.return %0 : tensor<2xf32>
}

// -----

func.func @fifth() {
  func.return
}

// Without the flag, the first error of the whole file is the one reported.
// WHOLE: split-input-file.mlir:[[# @LINE - 30]]:3: error: 'ptensor.exp' op operand has element type i8
// WHOLE-NOT: error:
