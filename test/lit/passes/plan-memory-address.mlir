// RUN: not pelemay-opt %s -p 'bufferize,plan-memory{target=armv7}' 2>&1 | filecheck %s --check-prefix=ARMV7
// RUN: pelemay-opt %s -p 'bufferize,plan-memory{target=aarch64}' | filecheck %s --check-prefix=AARCH64

// A 4 GiB intermediate: beyond a 32-bit machine's PTRDIFF_MAX, planned on a 64-bit one.

func.func @f(%x: tensor<1x4xf32>, %y: tensor<268435456x1xf32>) -> tensor<1x4xf32> {
  // ARMV7: plan-memory-address.mlir:[[# @LINE + 1]]:3: error: plan-memory: buffer 'e' needs 4294967296 bytes; target 'armv7' (32-bit) addresses at most 2147483647 bytes in one buffer
  %e = ptensor.add %x, %y : tensor<1x4xf32>, tensor<268435456x1xf32> -> tensor<268435456x4xf32>
  %r = ptensor.reduce_sum %e {axes = array<i64: 0>, keepdims} : tensor<268435456x4xf32> -> tensor<1x4xf32>
  // AARCH64: pbuf.arena {size = 4294967296 : i64, alignment = 16 : i64}
  func.return %r : tensor<1x4xf32>
}
