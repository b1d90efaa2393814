// RUN: not pelemay-opt %s --split-input-file -p convert-pbuf-to-loops 2>&1 | filecheck %s
// RUN: not pelemay-opt %s -p 'convert-pbuf-to-loops{weights=flash}' 2>&1 | filecheck %s --check-prefix=MODE

// MODE: unknown weights mode 'flash'; valid modes: embedded, external

// Tensor ops left over are an error at their position, naming the passes
// that remove them.

// CHECK: convert-pbuf-to-loops-invalid.mlir:11:5: error: 'ptensor.neg' is a tensor op; run bufferize and plan-memory before convert-pbuf-to-loops
func.func @left(%x: tensor<4xf32>) -> tensor<4xf32> {
    %y = ptensor.neg %x : tensor<4xf32>
    func.return %y : tensor<4xf32>
}

// -----

// CHECK: convert-pbuf-to-loops-invalid.mlir:19:5: error: buffer 'tmp' has no place in the arena; run plan-memory before convert-pbuf-to-loops
func.func @unplanned(%x: memref<4xf32>, %out: memref<4xf32> {pbuf.output = 0 : i64}) {
    %t = pbuf.alloc {name = "tmp"} : memref<4xf32>
    pbuf.neg %x, %t : memref<4xf32>, memref<4xf32>
    pbuf.exp %t, %out : memref<4xf32>, memref<4xf32>
    func.return
}

// -----

// Weights need the weights file when they are embedded.

// CHECK: convert-pbuf-to-loops-invalid.mlir:32:5: error: {{.*}}weights
builtin.module attributes {ptensor.weights = "Inputs/missing.weights"} {
  func.func @no_file(%out: memref<4xf32> {pbuf.output = 0 : i64}) {
    %w = pbuf.weight "w" at 0 : memref<4xf32>
    pbuf.copy %w, %out : memref<4xf32>, memref<4xf32>
    func.return
  }
}
