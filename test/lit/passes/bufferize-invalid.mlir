// RUN: not pelemay-opt %s --split-input-file -p bufferize 2>&1 | filecheck %s

// Programs bufferize cannot handle: the error points at the op or function.

// CHECK: bufferize-invalid.mlir:[[# @LINE + 1]]:1: error: argument #0 of @dynamic has dynamic shape tensor<?xf32>; bufferize needs static shapes
func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  func.return %x : tensor<?xf32>
}

// -----

func.func @callee(%x: tensor<4xf32>) -> tensor<4xf32> {
  func.return %x : tensor<4xf32>
}
func.func @caller(%x: tensor<4xf32>) -> tensor<4xf32> {
// CHECK: bufferize-invalid.mlir:[[# @LINE + 1]]:3: error: bufferize does not know op 'func.call'; only ptensor ops and func.return have a buffer form
  %y = func.call @callee(%x) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
