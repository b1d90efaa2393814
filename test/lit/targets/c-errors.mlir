// RUN: not pelemay-opt %s -t c 2>&1 | filecheck %s

// A tensor-level op left in the module names itself, its position and the missing lowering.
// CHECK: c-errors.mlir:[[# @LINE + 4]]:{{[0-9]+}}: error: 'ptensor.exp' op cannot be printed by the c target: bufferize it and lower it to loops first ('bufferize', 'plan-memory', 'convert-pbuf-to-loops')

func.func @f(%x: memref<4xf32>, %y: memref<4xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %t = arith.constant dense<1.0> : tensor<4xf32>
  %e = ptensor.exp %t : tensor<4xf32>
  func.return
}
