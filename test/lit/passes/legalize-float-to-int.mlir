// RUN: pelemay-opt %s -p legalize | filecheck %s

// Truncation toward zero that saturates: at or below the lowest value (or
// at or below -1, unsigned) the lowest, at or above 2^(w-1) (2^w unsigned)
// the highest, NaN 0; the conversion itself sees only values in range.

// CHECK-LABEL: func.func @convert
// CHECK:         %[[LOW:.*]] = arith.cmpf ole, %x, %{{.*}} : f32
// CHECK:         %[[HIGH:.*]] = arith.cmpf oge, %x, %{{.*}} : f32
// CHECK-NEXT:    %[[NAN:.*]] = arith.cmpf uno, %x, %x : f32
// CHECK:         %[[SAFE:.*]] = arith.select %{{.*}}, %{{.*}}, %x : f32
// CHECK-NEXT:    %[[I:.*]] = arith.fptosi %[[SAFE]] {pelemay.defined} : f32 to i8
// CHECK:         %[[I1:.*]] = arith.select %[[NAN]], %{{.*}}, %[[I]] : i8
// CHECK:         arith.constant -128 : i8
// CHECK:         arith.constant 127 : i8
// CHECK:         %s = arith.select %[[HIGH]]
// The bounds of an unsigned i16 from f16: -1, and 2^16, which f16 rounds to infinity.
// CHECK:         arith.constant -1.000000e+00 : f16
// CHECK:         arith.constant 0x7c00 : f16
// CHECK:         arith.fptoui %{{.*}} {pelemay.defined} : f16 to i16
// CHECK:         arith.constant -1 : i16
func.func @convert(%x: f32, %h: f16) -> (i8, i16) {
  %s = arith.fptosi %x : f32 to i8
  %u = arith.fptoui %h : f16 to i16
  func.return %s, %u : i8, i16
}
