// RUN: pelemay-opt %s -p legalize --split-input-file | filecheck %s
// RUN: pelemay-opt %s -p legalize --split-input-file | filecheck %s --check-prefix=INDEX

// The amount is read as unsigned; the width or more shifts every bit out: 0
// for shli and shrui, the sign for shrsi (a shift by width - 1).

// CHECK-LABEL: func.func @shift
// CHECK:         %[[BIG:.*]] = arith.cmpi uge, %n, %{{.*}} : i8
// CHECK-NEXT:    %[[ZERO:.*]] = arith.constant 0 : i8
// CHECK-NEXT:    %[[AMOUNT:.*]] = arith.select %[[BIG]], %[[ZERO]], %n : i8
// CHECK-NEXT:    %[[S:.*]] = arith.shli %a, %[[AMOUNT]] {pelemay.defined} : i8
// CHECK:         %l = arith.select %[[BIG]], %{{.*}}, %[[S]] : i8
// CHECK:         %[[BIG2:.*]] = arith.cmpi uge, %n, %{{.*}} : i8
// CHECK:         %[[SEVEN:.*]] = arith.constant 7 : i8
// CHECK-NEXT:    %[[A2:.*]] = arith.select %[[BIG2]], %[[SEVEN]], %n : i8
// CHECK-NEXT:    %r = arith.shrsi %a, %[[A2]] {pelemay.defined} : i8
// CHECK:         %k = arith.shrui %a, %c3 {pelemay.defined} : i8
// CHECK:         %out = arith.constant 0 : i8
// CHECK:         %sign = arith.shrsi %a, %{{.*}} {pelemay.defined} : i8
// CHECK:         func.return %l, %r, %k, %out, %sign
func.func @shift(%a: i8, %n: i8) -> (i8, i8, i8, i8, i8) {
  %c3 = arith.constant 3 : i8
  %c9 = arith.constant 9 : i8
  %l = arith.shli %a, %n : i8
  %r = arith.shrsi %a, %n : i8
  %k = arith.shrui %a, %c3 : i8
  %out = arith.shrui %a, %c9 : i8
  %sign = arith.shrsi %a, %c9 : i8
  func.return %l, %r, %k, %out, %sign : i8, i8, i8, i8, i8
}

// -----

// An index is as wide as the machine's pointers: the guard asks index.sizeof.
// INDEX-LABEL: func.func @index
// INDEX:         %[[W:.*]] = index.sizeof
// INDEX-NEXT:    %[[BIG:.*]] = arith.cmpi uge, %n, %[[W]] : index
// INDEX:         arith.shli %a, %{{.*}} {pelemay.defined} : index
// INDEX:         %small = arith.shli %a, %c31 {pelemay.defined} : index
func.func @index(%a: index, %n: index) -> (index, index) {
  %c31 = arith.constant 31 : index
  %l = arith.shli %a, %n : index
  %small = arith.shli %a, %c31 : index
  func.return %l, %small : index, index
}
