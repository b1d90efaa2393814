// Constants (dense, splat, every element type) and weights read from the side file.
// RUN: pelemay-opt %s > %t.custom && filecheck %s --input-file %t.custom
// RUN: pelemay-opt %s --print-op-generic > %t.generic && filecheck %s --check-prefix=GENERIC --input-file %t.generic
// The generic form parses back to the same program.
// RUN: pelemay-opt %t.generic | diff %t.custom -

// CHECK: builtin.module @m attributes {ptensor.weights = "model.bin"}
// GENERIC: "builtin.module"() <{sym_name = "m"}> ({
builtin.module @m attributes {ptensor.weights = "model.bin"} {
  // CHECK-LABEL: func.func @constants
  func.func @constants() -> (tensor<2xf32>, tensor<2x2xf16>, tensor<3xi32>, tensor<2xi8>, tensor<2xi1>, tensor<f32>, tensor<4xf32>) {
    // CHECK-NEXT: %{{.*}} = ptensor.constant dense<[1.000000e+00, 2.500000e+00]> : tensor<2xf32>
    // GENERIC: "ptensor.constant"() <{value = dense<[1.000000e+00, 2.500000e+00]> : tensor<2xf32>}> : () -> tensor<2xf32>
    %a = ptensor.constant dense<[1.0, 2.5]> : tensor<2xf32>
    // CHECK-NEXT: ptensor.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf16>
    %b = ptensor.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf16>
    // CHECK-NEXT: ptensor.constant dense<[1, -2, 3]> : tensor<3xi32>
    %c = ptensor.constant dense<[1, -2, 3]> : tensor<3xi32>
    // CHECK-NEXT: ptensor.constant dense<[-128, 127]> : tensor<2xi8>
    %d = ptensor.constant dense<[-128, 127]> : tensor<2xi8>
    // CHECK-NEXT: ptensor.constant dense<[true, false]> : tensor<2xi1>
    %e = ptensor.constant dense<[true, false]> : tensor<2xi1>
    // CHECK-NEXT: ptensor.constant dense<4.200000e+01> : tensor<f32>
    %f = ptensor.constant dense<42.0> : tensor<f32>
    // A splat keeps its short form.
    // CHECK-NEXT: ptensor.constant dense<5.000000e-01> : tensor<4xf32>
    %g = ptensor.constant dense<0.5> : tensor<4xf32>
    // CHECK-NEXT: ptensor.constant dense<1.000000e+00> : tensor<2xf32> {note = "kept"}
    %h = ptensor.constant dense<1.0> : tensor<2xf32> {note = "kept"}
    func.return %a, %b, %c, %d, %e, %f, %g : tensor<2xf32>, tensor<2x2xf16>, tensor<3xi32>, tensor<2xi8>, tensor<2xi1>, tensor<f32>, tensor<4xf32>
  }

  // CHECK-LABEL: func.func @weights
  func.func @weights() -> (tensor<784x256xf32>, tensor<256xi8>, tensor<2x2xf16>) {
    // CHECK-NEXT: ptensor.weight "fc1.w" at 0 : tensor<784x256xf32>
    // GENERIC: "ptensor.weight"() <{key = "fc1.w", offset = 0 : i64}> : () -> tensor<784x256xf32>
    %w = ptensor.weight "fc1.w" at 0 : tensor<784x256xf32>
    // CHECK-NEXT: ptensor.weight "fc1.b" at 802816 : tensor<256xi8>
    %b = ptensor.weight "fc1.b" at 802816 : tensor<256xi8>
    // CHECK-NEXT: ptensor.weight "scale" at 803072 {origin = "onnx"} : tensor<2x2xf16>
    %s = ptensor.weight "scale" at 803072 {origin = "onnx"} : tensor<2x2xf16>
    func.return %w, %b, %s : tensor<784x256xf32>, tensor<256xi8>, tensor<2x2xf16>
  }
}
