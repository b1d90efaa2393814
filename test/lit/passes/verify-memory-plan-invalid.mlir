// RUN: not pelemay-opt %s --split-input-file -p verify-memory-plan 2>&1 | filecheck %s

// Broken plans: each error names the buffers and the function.

// CHECK: verify-memory-plan-invalid.mlir:[[# @LINE + 1]]:1: error: the memory plan of @overlap is wrong: buffers 'a' (bytes [0, 16), live at ops 0..2) and 'b' (bytes [0, 16), live at ops 1..2) overlap at bytes [0, 16) while both are live at ops 1..2
func.func @overlap(%x: memref<4xf32>, %out: memref<4xf32> {pbuf.output = 0 : i64}) {
  %arena = pbuf.arena {size = 32 : i64, alignment = 16 : i64} : memref<32xi8>
  %a = pbuf.view %arena[0] {name = "a"} : memref<32xi8> -> memref<4xf32>
  %b = pbuf.view %arena[0] {name = "b"} : memref<32xi8> -> memref<4xf32>
  pbuf.exp %x, %a : memref<4xf32>, memref<4xf32>
  pbuf.neg %x, %b : memref<4xf32>, memref<4xf32>
  pbuf.add %a, %b, %out : memref<4xf32>, memref<4xf32>, memref<4xf32>
  func.return
}

// -----

// CHECK: verify-memory-plan-invalid.mlir:[[# @LINE + 1]]:1: error: the memory plan of @misaligned is wrong: buffer 'a' is at offset 8, which is not a multiple of the alignment 16
func.func @misaligned(%x: memref<2xf32>, %out: memref<2xf32> {pbuf.output = 0 : i64}) {
  %arena = pbuf.arena {size = 32 : i64, alignment = 16 : i64} : memref<32xi8>
  %a = pbuf.view %arena[8] {name = "a"} : memref<32xi8> -> memref<2xf32>
  pbuf.exp %x, %a : memref<2xf32>, memref<2xf32>
  pbuf.neg %a, %out : memref<2xf32>, memref<2xf32>
  func.return
}

// -----

func.func @unplanned(%x: memref<2xf32>, %out: memref<2xf32> {pbuf.output = 0 : i64}) {
// CHECK: verify-memory-plan-invalid.mlir:[[# @LINE + 1]]:3: error: function @unplanned has buffers with no place in the arena ('t'); run plan-memory first
  %t = pbuf.alloc {name = "t"} : memref<2xf32>
  pbuf.exp %x, %t : memref<2xf32>, memref<2xf32>
  pbuf.neg %t, %out : memref<2xf32>, memref<2xf32>
  func.return
}
