// Every elementwise unary op, on every element type it accepts.
// RUN: pelemay-opt %s > %t.custom && filecheck %s --input-file %t.custom
// RUN: pelemay-opt %s --print-op-generic > %t.generic && filecheck %s --check-prefix=GENERIC --input-file %t.generic
// The generic form parses back to the same program.
// RUN: pelemay-opt %t.generic | diff %t.custom -

// CHECK-LABEL: func.func @any_numeric
func.func @any_numeric(%f: tensor<2x3xf32>, %h: tensor<4xf16>, %i: tensor<5xi32>, %b: tensor<1x2xi8>) {
  // CHECK-NEXT: ptensor.neg %{{.*}} : tensor<2x3xf32>
  // GENERIC: "ptensor.neg"(%{{.*}}) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %0 = ptensor.neg %f : tensor<2x3xf32>
  // CHECK-NEXT: ptensor.abs %{{.*}} : tensor<5xi32>
  // GENERIC: "ptensor.abs"(%{{.*}}) : (tensor<5xi32>) -> tensor<5xi32>
  %1 = ptensor.abs %i : tensor<5xi32>
  // CHECK-NEXT: ptensor.relu %{{.*}} : tensor<1x2xi8>
  // GENERIC: "ptensor.relu"(%{{.*}}) : (tensor<1x2xi8>) -> tensor<1x2xi8>
  %2 = ptensor.relu %b : tensor<1x2xi8>
  // CHECK-NEXT: ptensor.relu6 %{{.*}} : tensor<4xf16>
  // GENERIC: "ptensor.relu6"(%{{.*}}) : (tensor<4xf16>) -> tensor<4xf16>
  %3 = ptensor.relu6 %h : tensor<4xf16>
  // CHECK-NEXT: ptensor.neg %{{.*}} : tensor<1x2xi8>
  %4 = ptensor.neg %b : tensor<1x2xi8>
  func.return
}

// CHECK-LABEL: func.func @floats_only
func.func @floats_only(%f: tensor<2x3xf32>, %h: tensor<4xf16>, %s: tensor<f32>) {
  // CHECK-NEXT: ptensor.exp %{{.*}} : tensor<2x3xf32>
  // GENERIC: "ptensor.exp"
  %0 = ptensor.exp %f : tensor<2x3xf32>
  // CHECK-NEXT: ptensor.log %{{.*}} : tensor<4xf16>
  // GENERIC: "ptensor.log"
  %1 = ptensor.log %h : tensor<4xf16>
  // CHECK-NEXT: ptensor.sqrt %{{.*}} : tensor<f32>
  // GENERIC: "ptensor.sqrt"
  %2 = ptensor.sqrt %s : tensor<f32>
  // CHECK-NEXT: ptensor.rsqrt %{{.*}} : tensor<2x3xf32>
  // GENERIC: "ptensor.rsqrt"
  %3 = ptensor.rsqrt %f : tensor<2x3xf32>
  // CHECK-NEXT: ptensor.tanh %{{.*}} : tensor<2x3xf32>
  // GENERIC: "ptensor.tanh"
  %4 = ptensor.tanh %f : tensor<2x3xf32>
  // CHECK-NEXT: ptensor.sigmoid %{{.*}} : tensor<4xf16>
  // GENERIC: "ptensor.sigmoid"
  %5 = ptensor.sigmoid %h : tensor<4xf16>
  // CHECK-NEXT: ptensor.gelu %{{.*}} : tensor<2x3xf32>
  // GENERIC: "ptensor.gelu"
  %6 = ptensor.gelu %f : tensor<2x3xf32>
  // CHECK-NEXT: ptensor.sin %{{.*}} : tensor<2x3xf32>
  // GENERIC: "ptensor.sin"(%{{.*}}) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %7 = ptensor.sin %f : tensor<2x3xf32>
  // CHECK-NEXT: ptensor.cos %{{.*}} : tensor<4xf16>
  // GENERIC: "ptensor.cos"(%{{.*}}) : (tensor<4xf16>) -> tensor<4xf16>
  %8 = ptensor.cos %h : tensor<4xf16>
  // CHECK-NEXT: ptensor.tan %{{.*}} : tensor<f32>
  // GENERIC: "ptensor.tan"(%{{.*}}) : (tensor<f32>) -> tensor<f32>
  %9 = ptensor.tan %s : tensor<f32>
  // CHECK-NEXT: ptensor.asin %{{.*}} : tensor<2x3xf32>
  // GENERIC: "ptensor.asin"(%{{.*}}) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %10 = ptensor.asin %f : tensor<2x3xf32>
  // CHECK-NEXT: ptensor.acos %{{.*}} : tensor<4xf16>
  // GENERIC: "ptensor.acos"(%{{.*}}) : (tensor<4xf16>) -> tensor<4xf16>
  %11 = ptensor.acos %h : tensor<4xf16>
  // CHECK-NEXT: ptensor.atan %{{.*}} : tensor<2x3xf32>
  // GENERIC: "ptensor.atan"(%{{.*}}) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %12 = ptensor.atan %f : tensor<2x3xf32>
  func.return
}

// CHECK-LABEL: func.func @clamp
func.func @clamp(%f: tensor<8xf32>, %i: tensor<8xi32>, %b: tensor<8xi8>) {
  // CHECK-NEXT: ptensor.clamp %{{.*}} {min = 0.000000e+00 : f32, max = 6.000000e+00 : f32} : tensor<8xf32>
  // GENERIC: "ptensor.clamp"(%{{.*}}) <{min = 0.000000e+00 : f32, max = 6.000000e+00 : f32}> : (tensor<8xf32>) -> tensor<8xf32>
  %0 = ptensor.clamp %f {min = 0.0 : f32, max = 6.0 : f32} : tensor<8xf32>
  // CHECK-NEXT: ptensor.clamp %{{.*}} {min = -5 : i32, max = 5 : i32} : tensor<8xi32>
  %1 = ptensor.clamp %i {min = -5 : i32, max = 5 : i32} : tensor<8xi32>
  // Equal bounds are allowed.
  // CHECK-NEXT: ptensor.clamp %{{.*}} {min = 3 : i8, max = 3 : i8} : tensor<8xi8>
  %2 = ptensor.clamp %b {min = 3 : i8, max = 3 : i8} : tensor<8xi8>
  func.return
}
