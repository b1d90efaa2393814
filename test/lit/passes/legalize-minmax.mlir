// RUN: pelemay-opt %s -p legalize | filecheck %s

// maximumf/minimumf: NaN propagates (the first NaN operand) and -0 < +0.
// Against a constant that is not NaN: one compare and one select, the
// predicate keeping the sign rule of zeros (max with +0: x <= 0 takes 0;
// min with -0: x >= -0 takes -0). Otherwise branches: the larger, the
// smaller, and only for equal or unordered operands the tie (the sign bits
// of both: max and, min or) and the NaN selects. Vectors stay as they are
// (xDSL's cmpf and select take a scalar i1).

// CHECK-LABEL: func.func @minmax
// CHECK:         %[[GT:.*]] = arith.cmpf ogt, %a, %b : f32
// CHECK-NEXT:    %max = scf.if %[[GT]] -> (f32) {
// CHECK-NEXT:      scf.yield %a : f32
// CHECK-NEXT:    } else {
// CHECK-NEXT:      %[[LT:.*]] = arith.cmpf olt, %a, %b : f32
// CHECK-NEXT:      %[[R:.*]] = scf.if %[[LT]] -> (f32) {
// CHECK-NEXT:        scf.yield %b : f32
// CHECK-NEXT:      } else {
// CHECK-NEXT:        %[[AB:.*]] = arith.bitcast %a : f32 to i32
// CHECK-NEXT:        %[[BB:.*]] = arith.bitcast %b : f32 to i32
// CHECK-NEXT:        %[[S:.*]] = arith.andi %[[AB]], %[[BB]] : i32
// CHECK-NEXT:        %[[TIE:.*]] = arith.bitcast %[[S]] : i32 to f32
// CHECK-NEXT:        %[[BN:.*]] = arith.cmpf uno, %b, %b : f32
// CHECK-NEXT:        %[[W:.*]] = arith.select %[[BN]], %b, %[[TIE]] : f32
// CHECK-NEXT:        %[[AN:.*]] = arith.cmpf uno, %a, %a : f32
// CHECK-NEXT:        %[[N:.*]] = arith.select %[[AN]], %a, %[[W]] : f32
// CHECK-NEXT:        scf.yield %[[N]] : f32
// CHECK-NEXT:      }
// CHECK-NEXT:      scf.yield %[[R]] : f32
// CHECK-NEXT:    }
// CHECK:         %min = scf.if
// CHECK:         arith.ori %{{.*}}, %{{.*}} : i64
// CHECK:         %[[LE:.*]] = arith.cmpf ole, %a, %zero : f32
// CHECK-NEXT:    %relu = arith.select %[[LE]], %zero, %a : f32
// CHECK-NEXT:    %[[GE:.*]] = arith.cmpf oge, %a, %negzero : f32
// CHECK-NEXT:    %clamp = arith.select %[[GE]], %negzero, %a : f32
// CHECK-NEXT:    %lanes = arith.maximumf %v, %v : vector<4xf32>
func.func @minmax(%a: f32, %b: f32, %c: f64, %d: f64, %v: vector<4xf32>) -> (f32, f64, f32, f32, vector<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %negzero = arith.constant -0.0 : f32
  %max = arith.maximumf %a, %b : f32
  %min = arith.minimumf %c, %d : f64
  %relu = arith.maximumf %a, %zero : f32
  %clamp = arith.minimumf %negzero, %a : f32
  %lanes = arith.maximumf %v, %v : vector<4xf32>
  func.return %max, %min, %relu, %clamp, %lanes : f32, f64, f32, f32, vector<4xf32>
}
