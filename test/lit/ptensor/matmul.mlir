// matmul: 2-D, batched with broadcasting batch dimensions, and i8 into i32.
// RUN: pelemay-opt %s > %t.custom && filecheck %s --input-file %t.custom
// RUN: pelemay-opt %s --print-op-generic > %t.generic && filecheck %s --check-prefix=GENERIC --input-file %t.generic
// The generic form parses back to the same program.
// RUN: pelemay-opt %t.generic | diff %t.custom -

// CHECK-LABEL: func.func @matmul
func.func @matmul(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %ba: tensor<5x2x3xf32>, %bb: tensor<1x3x4xf32>,
                  %qa: tensor<1x16xi8>, %qb: tensor<16x8xi8>, %ha: tensor<7x1x2x3xf16>, %hb: tensor<6x3x2xf16>,
                  %ia: tensor<2x2xi32>) {
  // CHECK-NEXT: ptensor.matmul %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  // GENERIC: "ptensor.matmul"(%{{.*}}, %{{.*}}) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %0 = ptensor.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  // CHECK-NEXT: ptensor.matmul %{{.*}}, %{{.*}} : tensor<5x2x3xf32>, tensor<1x3x4xf32> -> tensor<5x2x4xf32>
  %1 = ptensor.matmul %ba, %bb : tensor<5x2x3xf32>, tensor<1x3x4xf32> -> tensor<5x2x4xf32>
  // A rank-2 operand broadcasts over the other's batch dimensions.
  // CHECK-NEXT: ptensor.matmul %{{.*}}, %{{.*}} : tensor<5x2x3xf32>, tensor<3x4xf32> -> tensor<5x2x4xf32>
  %2 = ptensor.matmul %ba, %b : tensor<5x2x3xf32>, tensor<3x4xf32> -> tensor<5x2x4xf32>
  // i8 operands accumulate into an i32 result.
  // CHECK-NEXT: ptensor.matmul %{{.*}}, %{{.*}} : tensor<1x16xi8>, tensor<16x8xi8> -> tensor<1x8xi32>
  // GENERIC: "ptensor.matmul"(%{{.*}}, %{{.*}}) : (tensor<1x16xi8>, tensor<16x8xi8>) -> tensor<1x8xi32>
  %3 = ptensor.matmul %qa, %qb : tensor<1x16xi8>, tensor<16x8xi8> -> tensor<1x8xi32>
  // CHECK-NEXT: ptensor.matmul %{{.*}}, %{{.*}} : tensor<7x1x2x3xf16>, tensor<6x3x2xf16> -> tensor<7x6x2x2xf16>
  %4 = ptensor.matmul %ha, %hb : tensor<7x1x2x3xf16>, tensor<6x3x2xf16> -> tensor<7x6x2x2xf16>
  // CHECK-NEXT: ptensor.matmul %{{.*}}, %{{.*}} : tensor<2x2xi32>, tensor<2x2xi32> -> tensor<2x2xi32>
  %5 = ptensor.matmul %ia, %ia : tensor<2x2xi32>, tensor<2x2xi32> -> tensor<2x2xi32>
  func.return
}
