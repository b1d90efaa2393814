// RUN: not pelemay-opt %s -t llvm --split-input-file 2>&1 | filecheck %s

// A buffer-level op left in the module names itself, its position and the pass that lowers it.
// CHECK: llvm-errors.mlir:[[# @LINE + 3]]:3: error: 'pbuf.exp' op cannot be printed by the llvm target: lower the buffer-level op to loops first ('convert-pbuf-to-loops')

func.func @f(%x: memref<4xf32>, %y: memref<4xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  pbuf.exp %x, %y : memref<4xf32>, memref<4xf32>
  func.return
}

// -----

// A heap allocation has no place in generated code: the arena holds intermediates.
// CHECK: llvm-errors.mlir:[[# @LINE + 3]]:3: error: 'memref.alloc' op cannot be printed by the llvm target: generated code never allocates; intermediates live in the arena ('plan-memory')

func.func @g(%x: memref<4xf32>, %y: memref<4xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %t = memref.alloc() : memref<4xf32>
  func.return
}

// -----

// CHECK: error: no function is marked 'pelemay.entry'; the llvm target exports exactly one (convert-pbuf-to-loops marks it)

func.func @h(%x: memref<4xf32>) {
  func.return
}
