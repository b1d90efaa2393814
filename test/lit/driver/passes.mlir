// Pass pipelines: -p canonicalize,cse removes dead and duplicate pure ops;
// --print-between-passes shows the IR after every pass but the last.
// RUN: pelemay-opt %s -p canonicalize,cse | filecheck %s
// RUN: pelemay-opt %s -p canonicalize,cse --print-between-passes | filecheck %s --check-prefix=BETWEEN
// RUN: pelemay-opt %s -p cse --time-passes 2>&1 >/dev/null | filecheck %s --check-prefix=TIME
// RUN: pelemay-opt %s -p "" | filecheck %s --check-prefix=NONE

// CHECK-LABEL: func.func @f
// CHECK-NEXT: %[[E:.*]] = ptensor.exp %{{.*}} : tensor<2xf32>
// CHECK-NEXT: %[[S:.*]] = ptensor.add %[[E]], %[[E]] : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT: func.return %[[S]] : tensor<2xf32>

// BETWEEN: // IR after canonicalize:
// BETWEEN-NEXT: builtin.module {
// BETWEEN-NOT: ptensor.neg
// BETWEEN: %b = ptensor.exp
// BETWEEN: func.return
// BETWEEN-NOT: // IR after cse:
// BETWEEN: builtin.module {
// BETWEEN-NOT: %b = ptensor.exp
// BETWEEN: ptensor.add %a, %a

// TIME: pass cse: {{[0-9.]+}} s

// NONE: %{{.*}} = ptensor.exp
// NONE-NEXT: %{{.*}} = ptensor.exp
// NONE-NEXT: %{{.*}} = ptensor.add
// NONE-NEXT: %{{.*}} = ptensor.neg
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %a = ptensor.exp %x : tensor<2xf32>
  %b = ptensor.exp %x : tensor<2xf32>
  %s = ptensor.add %a, %b : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  %dead = ptensor.neg %x : tensor<2xf32>
  func.return %s : tensor<2xf32>
}
