// Comparisons (i1 results), select and element type casts.
// RUN: pelemay-opt %s > %t.custom && filecheck %s --input-file %t.custom
// RUN: pelemay-opt %s --print-op-generic > %t.generic && filecheck %s --check-prefix=GENERIC --input-file %t.generic
// The generic form parses back to the same program.
// RUN: pelemay-opt %t.generic | diff %t.custom -

// CHECK-LABEL: func.func @compare
func.func @compare(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %i: tensor<4xi8>) {
  // CHECK-NEXT: ptensor.compare "eq", %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // GENERIC: "ptensor.compare"(%{{.*}}, %{{.*}}) <{predicate = "eq"}> : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %0 = ptensor.compare "eq", %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK-NEXT: ptensor.compare "ne"
  %1 = ptensor.compare "ne", %a, %a : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xi1>
  // CHECK-NEXT: ptensor.compare "lt"
  %2 = ptensor.compare "lt", %i, %i : tensor<4xi8>, tensor<4xi8> -> tensor<4xi1>
  // CHECK-NEXT: ptensor.compare "le"
  %3 = ptensor.compare "le", %b, %b : tensor<3xf32>, tensor<3xf32> -> tensor<3xi1>
  // CHECK-NEXT: ptensor.compare "gt"
  %4 = ptensor.compare "gt", %b, %a : tensor<3xf32>, tensor<2x3xf32> -> tensor<2x3xi1>
  // CHECK-NEXT: ptensor.compare "ge"
  %5 = ptensor.compare "ge", %i, %i : tensor<4xi8>, tensor<4xi8> -> tensor<4xi1>
  func.return
}

// CHECK-LABEL: func.func @select
func.func @select(%c: tensor<2x1xi1>, %a: tensor<2x3xf32>, %s: tensor<f32>, %ci: tensor<4xi1>, %i: tensor<4xi32>) {
  // The condition and both values broadcast together.
  // CHECK-NEXT: ptensor.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x1xi1>, tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  // GENERIC: "ptensor.select"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %0 = ptensor.select %c, %a, %s : tensor<2x1xi1>, tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  // CHECK-NEXT: ptensor.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<4xi1>, tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %1 = ptensor.select %ci, %i, %i : tensor<4xi1>, tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  func.return
}

// CHECK-LABEL: func.func @cast
func.func @cast(%f: tensor<2x3xf32>, %b: tensor<4xi8>, %c: tensor<4xi1>) {
  // CHECK-NEXT: ptensor.cast %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf16>
  // GENERIC: "ptensor.cast"(%{{.*}}) : (tensor<2x3xf32>) -> tensor<2x3xf16>
  %0 = ptensor.cast %f : tensor<2x3xf32> -> tensor<2x3xf16>
  // CHECK-NEXT: ptensor.cast %{{.*}} : tensor<2x3xf32> -> tensor<2x3xi8>
  %1 = ptensor.cast %f : tensor<2x3xf32> -> tensor<2x3xi8>
  // CHECK-NEXT: ptensor.cast %{{.*}} : tensor<4xi8> -> tensor<4xi32>
  %2 = ptensor.cast %b : tensor<4xi8> -> tensor<4xi32>
  // CHECK-NEXT: ptensor.cast %{{.*}} : tensor<4xi1> -> tensor<4xf32>
  %3 = ptensor.cast %c : tensor<4xi1> -> tensor<4xf32>
  // CHECK-NEXT: ptensor.cast %{{.*}} : tensor<4xi8> -> tensor<4xi1>
  %4 = ptensor.cast %b : tensor<4xi8> -> tensor<4xi1>
  // A cast to the same type is allowed (canonicalization may drop it).
  // CHECK-NEXT: ptensor.cast %{{.*}} : tensor<4xi8> -> tensor<4xi8>
  %5 = ptensor.cast %b : tensor<4xi8> -> tensor<4xi8>
  func.return
}
