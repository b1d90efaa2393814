// RUN: pelemay-opt %s -p legalize | filecheck %s
// RUN: pelemay-opt %s -p legalize,legalize | filecheck %s

// x / 0 = 0, x % 0 = x, MIN / -1 = MIN (the negation wraps), MIN % -1 = 0:
// the divisor becomes 1 where the instruction would be undefined, then the
// result is selected. A constant divisor that is safe is only marked.

// CHECK-LABEL: func.func @divide
// CHECK:         %[[Z:.*]] = arith.cmpi eq, %b, %{{.*}} : i32
// CHECK:         %[[M1:.*]] = arith.cmpi eq, %b, %{{.*}} : i32
// CHECK-NEXT:    %[[BAD:.*]] = arith.ori %[[Z]], %[[M1]] : i1
// CHECK:         %[[D:.*]] = arith.select %[[BAD]], %{{.*}}, %b : i32
// CHECK-NEXT:    %[[Q:.*]] = arith.divsi %a, %[[D]] {pelemay.defined} : i32
// CHECK:         %[[NEG:.*]] = arith.subi %{{.*}}, %a : i32
// CHECK-NEXT:    %[[Q2:.*]] = arith.select %[[M1]], %[[NEG]], %[[Q]] : i32
// CHECK:         %q = arith.select %[[Z]], %{{.*}}, %[[Q2]] : i32
// CHECK:         arith.remui %a, %{{.*}} {pelemay.defined} : i32
// CHECK:         %r = arith.select %{{.*}}, %a, %{{.*}} : i32
// CHECK:         %k = arith.divui %a, %c7 {pelemay.defined} : i32
// CHECK:         arith.divsi %a, %{{.*}} {pelemay.defined} : i32
// CHECK:         %byminus = arith.select
func.func @divide(%a: i32, %b: i32) -> (i32, i32, i32, i32) {
  %c7 = arith.constant 7 : i32
  %cm1 = arith.constant -1 : i32
  %q = arith.divsi %a, %b : i32
  %r = arith.remui %a, %b : i32
  %k = arith.divui %a, %c7 : i32
  %byminus = arith.divsi %a, %cm1 : i32
  func.return %q, %r, %k, %byminus : i32, i32, i32, i32
}
