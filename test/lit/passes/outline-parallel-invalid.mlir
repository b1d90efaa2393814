// RUN: not pelemay-opt %s -p outline-parallel 2>&1 | filecheck %s
// RUN: not pelemay-opt %s -t llvm 2>&1 | filecheck %s

// A loop whose iterations pass a value on cannot be split into chunks.
// CHECK: outline-parallel-invalid.mlir:12:3: error: a loop marked 'pelemay.parallel' cannot carry values (iter_args) between iterations

func.func @sum(%x: memref<64xf32>, %o: memref<1xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %s = scf.for %i = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> (f32) {
    %v = memref.load %x[%i] : memref<64xf32>
    %a = arith.addf %acc, %v : f32
    scf.yield %a : f32
  } {pelemay.parallel = 2 : i64}
  memref.store %s, %o[%c0] : memref<1xf32>
  func.return
}
