// An input with nothing but comments (or nothing at all) is an empty module.
// RUN: pelemay-opt %s | filecheck %s
// RUN: echo "" | pelemay-opt | filecheck %s
// RUN: echo "" | pelemay-opt - --print-op-generic | pelemay-opt | filecheck %s
// RUN: pelemay-opt %s -p canonicalize,cse | filecheck %s

// CHECK: builtin.module {
// CHECK-NEXT: }
// CHECK-EMPTY:
