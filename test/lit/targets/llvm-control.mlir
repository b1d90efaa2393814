// RUN: pelemay-opt %s -t llvm | filecheck %s

// scf.for becomes a header with phis (the induction variable and iter_args),
// a body whose last block is the latch, and an exit where the loop's results
// are the header's phis; scf.if merges its yields with a phi. Each loop nest
// and branch is preceded by the source position it came from.
// CHECK:      define internal void @dot(ptr %a, ptr %b, ptr %out) #0 {
// CHECK:      for.header[[H:[0-9]+]]:
// CHECK-NEXT:   %[[K:i[0-9]+]] = phi i64 [ 0, %entry ], [ %[[NEXT:v[0-9]+]], %for.body{{[0-9]+}} ]
// CHECK-NEXT:   %[[ACC:acc[0-9]+]] = phi float [ 0x0000000000000000, %entry ], [ %[[SUM:v[0-9]+]], %for.body{{[0-9]+}} ]
// CHECK-NEXT:   %[[C:v[0-9]+]] = icmp slt i64 %[[K]], 8
// CHECK-NEXT:   br i1 %[[C]], label %for.body{{[0-9]+}}, label %for.exit[[E:[0-9]+]]
// CHECK:        %[[SUM]] = fadd float %[[ACC]], %{{.*}}
// CHECK-NEXT:   %[[NEXT]] = add i64 %[[K]], 1
// CHECK-NEXT:   br label %for.header[[H]]
// CHECK:      for.exit[[E]]:
// CHECK-NEXT:   %[[NEG:v[0-9]+]] = fcmp olt float %[[ACC]], 0x0000000000000000
// CHECK-NEXT:   ; {{.*}}llvm-control.mlir:{{[0-9]+}}:3
// CHECK-NEXT:   br i1 %[[NEG]], label %if.then[[T:[0-9]+]], label %if.else[[F:[0-9]+]]
// CHECK:      if.then[[T]]:
// CHECK-NEXT:   br label %if.end[[M:[0-9]+]]
// CHECK:      if.else[[F]]:
// CHECK-NEXT:   br label %if.end[[M]]
// CHECK:      if.end[[M]]:
// CHECK-NEXT:   %[[R:v[0-9]+]] = phi float [ 0x0000000000000000, %if.then[[T]] ], [ %[[ACC]], %if.else[[F]] ]
// CHECK-NEXT:   store float %[[R]], ptr %out, align 4

func.func @dot(%a: memref<8xf32>, %b: memref<8xf32>, %out: memref<f32>)
    attributes {pelemay.entry, pelemay.num_inputs = 2 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
    %x = memref.load %a[%k] : memref<8xf32>
    %y = memref.load %b[%k] : memref<8xf32>
    %p = arith.mulf %x, %y : f32
    %n = arith.addf %acc, %p : f32
    scf.yield %n : f32
  }
  %neg = arith.cmpf olt, %sum, %zero : f32
  %r = scf.if %neg -> (f32) {
    scf.yield %zero : f32
  } else {
    scf.yield %sum : f32
  }
  memref.store %r, %out[] : memref<f32>
  func.return
}
