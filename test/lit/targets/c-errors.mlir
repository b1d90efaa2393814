// RUN: not pelemay-opt %s -t c 2>&1 | filecheck %s

// A tensor-level op left in the module names itself, its position and the missing lowering.
// CHECK: c-errors.mlir:[[# @LINE + 4]]:{{[0-9]+}}: error: 'ptensor.exp' cannot be printed as C: it should have been bufferized and lowered to loops before the C target

func.func @f(%x: memref<4xf32>, %y: memref<4xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %t = arith.constant dense<1.0> : tensor<4xf32>
  %e = ptensor.exp %t : tensor<4xf32>
  func.return
}
