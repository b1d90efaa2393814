// RUN: pelemay-opt %s -p legalize | filecheck %s

// On a module lowered for AArch64 (pelemay.target), whose FPU has the rule
// of maximumf/minimumf as one instruction (FMAX/FMIN: NaN propagates,
// -0 < +0), legalize leaves scalar ones in place, marked defined, f16 ones
// in f32; vectors are still written out as compares and selects, and a
// reduction's last scalar combine is the instruction again. The C target
// prints the instruction through an inline-assembly helper (C's fmaxf is
// maxNum), the LLVM target as llvm.maximum / llvm.minimum (run on qemu in
// test_c_target.py's test_scalar_maximumf_minimumf_on_each_machine).

// CHECK-LABEL: func.func @minmax
// CHECK:         %max = arith.maximumf %a, %b {pelemay.defined} : f32
// CHECK-NEXT:    %min = arith.minimumf %c, %d {pelemay.defined} : f64
// CHECK-NEXT:    %[[LE:.*]] = arith.cmpf ole, %a, %zero : f32
// CHECK-NEXT:    %relu = arith.select %[[LE]], %zero, %a : f32
// CHECK-NEXT:    %[[HA:.*]] = arith.extf %h : f16 to f32
// CHECK-NEXT:    %[[HB:.*]] = arith.extf %h : f16 to f32
// CHECK-NEXT:    %[[HM:.*]] = arith.maximumf %[[HA]], %[[HB]] {pelemay.defined} : f32
// CHECK-NEXT:    %half = arith.truncf %[[HM]] : f32 to f16
// CHECK-NEXT:    mask.cmpf "ogt", %v, %w : vector<4xf32> -> vector<4xi1>
// CHECK:         %lanes = mask.select
// CHECK:         %[[L0:.*]] = vector.extract %{{.*}}[0] : f32 from vector<4xf32>
// CHECK-NEXT:    %top = arith.maximumf %a, %[[L0]] {pelemay.defined} : f32
// CHECK-NEXT:    func.return

module attributes {pelemay.target = "aarch64"} {
  func.func @minmax(%a: f32, %b: f32, %c: f64, %d: f64, %h: f16, %v: vector<4xf32>, %w: vector<4xf32>)
      -> (f32, f64, f32, f16, vector<4xf32>, f32) {
    %zero = arith.constant 0.0 : f32
    %max = arith.maximumf %a, %b : f32
    %min = arith.minimumf %c, %d : f64
    %relu = arith.maximumf %a, %zero : f32
    %half = arith.maximumf %h, %h : f16
    %lanes = arith.maximumf %v, %w : vector<4xf32>
    %top = vector.reduction <maximumf>, %v, %a : vector<4xf32> into f32
    func.return %max, %min, %relu, %half, %lanes, %top : f32, f64, f32, f16, vector<4xf32>, f32
  }
}
