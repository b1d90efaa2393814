// --print-op-generic prints every op in generic form, and that output parses
// back to the same program (custom -> generic -> custom is the identity).
// RUN: pelemay-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC
// RUN: pelemay-opt %s > %t.custom
// RUN: pelemay-opt %s --print-op-generic | pelemay-opt > %t.roundtrip
// RUN: diff %t.custom %t.roundtrip
// RUN: pelemay-opt %s --print-op-generic | pelemay-opt --print-op-generic | filecheck %s --check-prefix=GENERIC

// GENERIC: "builtin.module"() ({
// GENERIC: "func.func"() <{sym_name = "mlp"
// GENERIC: "ptensor.weight"() <{key = "w", offset = 0 : i64}> : () -> tensor<4x3xf32>
// GENERIC: "ptensor.matmul"(%{{.*}}, %{{.*}}) : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
// GENERIC: "ptensor.reduce_max"(%{{.*}}) <{axes = array<i64: 1>, keepdims}> : (tensor<2x3xf32>) -> tensor<2x1xf32>
// GENERIC: "scf.if"(%{{.*}}) ({
// GENERIC: "ptensor.conv2d"(%{{.*}}, %{{.*}}, %{{.*}}) <{strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64}>
// GENERIC: "scf.yield"
// GENERIC: "func.return"
module attributes {ptensor.weights = "mlp.bin"} {
  func.func @mlp(%x: tensor<2x4xf32>, %c: i1, %img: tensor<1x4x4x2xf32>, %k: tensor<1x1x2x2xf32>, %b: tensor<2xf32>) -> tensor<2x1xf32> {
    %w = ptensor.weight "w" at 0 : tensor<4x3xf32>
    %h = ptensor.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
    %r = ptensor.relu %h : tensor<2x3xf32>
    %m = ptensor.reduce_max %r {axes = array<i64: 1>, keepdims} : tensor<2x3xf32> -> tensor<2x1xf32>
    %y = scf.if %c -> (tensor<1x4x4x2xf32>) {
      %conv = ptensor.conv2d %img, %k, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>, tensor<2xf32> -> tensor<1x4x4x2xf32>
      scf.yield %conv : tensor<1x4x4x2xf32>
    } else {
      scf.yield %img : tensor<1x4x4x2xf32>
    }
    %one = arith.constant 1.0 : f32
    func.return %m : tensor<2x1xf32>
  }
}
