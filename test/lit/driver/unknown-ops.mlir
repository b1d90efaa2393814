// Unknown ops and dialects are named at the op; --allow-unregistered-dialect
// accepts ops of unknown dialects (and prints them generically).
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s
// RUN: not pelemay-opt %s --split-input-file --allow-unregistered-dialect 2>&1 | filecheck %s --check-prefix=ALLOW

func.func @unknown_ptensor_op(%x: tensor<2xf32>) -> tensor<2xf32> {
  // CHECK: unknown-ops.mlir:[[# @LINE + 2]]:3: error: unknown operation 'ptensor.frobnicate'
  // ALLOW: unknown-ops.mlir:[[# @LINE + 1]]:3: error: unknown operation 'ptensor.frobnicate'; an unregistered op must be written in the generic form "ptensor.frobnicate"(...)
  %0 = ptensor.frobnicate %x : tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// -----

func.func @unknown_dialect(%x: tensor<2xf32>) -> tensor<2xf32> {
  // CHECK: unknown-ops.mlir:[[# @LINE + 1]]:3: error: unknown operation 'mystery.op'
  %0 = "mystery.op"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}

// ALLOW: func.func @unknown_dialect
// ALLOW-NEXT: "mystery.op"(%{{.*}}) : (tensor<2xf32>) -> tensor<2xf32>
