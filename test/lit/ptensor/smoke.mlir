// RUN: pelemay-opt %s | filecheck %s
// RUN: pelemay-opt %s --print-op-generic | pelemay-opt | filecheck %s

// CHECK-LABEL: func.func @smoke
// CHECK: ptensor.exp %{{.*}} : tensor<2xf32>
func.func @smoke(%x: tensor<2xf32>) -> tensor<2xf32> {
  %y = ptensor.exp %x : tensor<2xf32>
  func.return %y : tensor<2xf32>
}
