// RUN: pelemay-opt %s -p legalize | filecheck %s

// f16 arithmetic is f32 arithmetic rounded once; what is exact on f16
// values (negation, floor, compare) stays f16; max is compared in f32 and
// narrowed back exactly.

// CHECK-LABEL: func.func @half
// CHECK:         %[[A:.*]] = arith.extf %a : f16 to f32
// CHECK-NEXT:    %[[B:.*]] = arith.extf %b : f16 to f32
// CHECK-NEXT:    %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT:    %p = arith.truncf %[[P]] : f32 to f16
// CHECK:         %[[E:.*]] = math.exp %{{.*}} : f32
// CHECK-NEXT:    %e = arith.truncf %[[E]] : f32 to f16
// CHECK:         %[[I:.*]] = arith.sitofp %n : i32 to f32
// CHECK-NEXT:    %i = arith.truncf %[[I]] : f32 to f16
// CHECK-NEXT:    %f = math.floor %p : f16
// CHECK:         arith.cmpf ogt, %{{.*}}, %{{.*}} : f32
// CHECK:         %m = arith.truncf %{{.*}} : f32 to f16
// CHECK-NEXT:    %x = arith.negf %m : f16
func.func @half(%a: f16, %b: f16, %n: i32) -> (f16, f16) {
  %p = arith.mulf %a, %b : f16
  %e = math.exp %p : f16
  %i = arith.sitofp %n : i32 to f16
  %f = math.floor %p : f16
  %m = arith.maximumf %f, %e : f16
  %x = arith.negf %m : f16
  func.return %x, %i : f16, f16
}
