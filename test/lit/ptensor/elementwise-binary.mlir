// Elementwise binary ops and NumPy broadcasting of their operands.
// RUN: pelemay-opt %s > %t.custom && filecheck %s --input-file %t.custom
// RUN: pelemay-opt %s --print-op-generic > %t.generic && filecheck %s --check-prefix=GENERIC --input-file %t.generic
// The generic form parses back to the same program.
// RUN: pelemay-opt %t.generic | diff %t.custom -

// CHECK-LABEL: func.func @same_shape
func.func @same_shape(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %i: tensor<4xi32>, %j: tensor<4xi32>) {
  // CHECK-NEXT: ptensor.add %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  // GENERIC: "ptensor.add"(%{{.*}}, %{{.*}}) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %0 = ptensor.add %a, %b : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: ptensor.sub %{{.*}}, %{{.*}} : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  // GENERIC: "ptensor.sub"
  %1 = ptensor.sub %i, %j : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  // CHECK-NEXT: ptensor.mul
  // GENERIC: "ptensor.mul"
  %2 = ptensor.mul %a, %b : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: ptensor.div
  // GENERIC: "ptensor.div"
  %3 = ptensor.div %i, %j : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  // CHECK-NEXT: ptensor.max
  // GENERIC: "ptensor.max"
  %4 = ptensor.max %a, %b : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: ptensor.min
  // GENERIC: "ptensor.min"
  %5 = ptensor.min %i, %j : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  func.return
}

// CHECK-LABEL: func.func @broadcasting
func.func @broadcasting(%m: tensor<2x3xf32>, %row: tensor<3xf32>, %col: tensor<2x1xf32>, %s: tensor<f32>,
                        %p: tensor<4x1x5xi8>, %q: tensor<3x1xi8>, %h: tensor<1xf16>, %k: tensor<7x1xf16>) {
  // A row broadcasts over the leading dimension.
  // CHECK-NEXT: ptensor.add %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %0 = ptensor.add %m, %row : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // Size-1 dimensions stretch on both sides.
  // CHECK-NEXT: ptensor.mul %{{.*}}, %{{.*}} : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %1 = ptensor.mul %col, %row : tensor<2x1xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // A rank-0 operand broadcasts to anything.
  // CHECK-NEXT: ptensor.sub %{{.*}}, %{{.*}} : tensor<f32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %2 = ptensor.sub %s, %m : tensor<f32>, tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: ptensor.max %{{.*}}, %{{.*}} : tensor<4x1x5xi8>, tensor<3x1xi8> -> tensor<4x3x5xi8>
  %3 = ptensor.max %p, %q : tensor<4x1x5xi8>, tensor<3x1xi8> -> tensor<4x3x5xi8>
  // CHECK-NEXT: ptensor.div %{{.*}}, %{{.*}} : tensor<1xf16>, tensor<7x1xf16> -> tensor<7x1xf16>
  %4 = ptensor.div %h, %k : tensor<1xf16>, tensor<7x1xf16> -> tensor<7x1xf16>
  // CHECK-NEXT: ptensor.min %{{.*}}, %{{.*}} : tensor<f32>, tensor<f32> -> tensor<f32>
  %5 = ptensor.min %s, %s : tensor<f32>, tensor<f32> -> tensor<f32>
  func.return
}
