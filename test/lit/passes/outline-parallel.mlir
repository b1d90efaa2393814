// RUN: pelemay-opt %s -p outline-parallel | filecheck %s
// RUN: pelemay-opt %s -p outline-parallel | pelemay-opt | filecheck %s
// RUN: pelemay-opt %s -t c | filecheck %s --check-prefix=C
// RUN: pelemay-opt %s -t llvm | filecheck %s --check-prefix=LLVM

// The marked loop becomes a worker taking what it cannot rebuild (the input,
// the output and the arena); the view of the arena and the constants are
// rebuilt inside it, and the inner mark is dropped: that loop runs on its
// chunk's thread.

// CHECK-LABEL: func.func private @twice_parallel_0(%x: memref<64x8xf32>, %o: memref<64x8xf32>, %arena: memref<1024xi8>, %lo: index, %hi: index) {
// CHECK:         %t = memref.view %arena[%{{.*}}][] : memref<1024xi8> to memref<8x8xf32>
// CHECK:         scf.for %i = %lo to %hi step %c8 {
// CHECK-NOT:     pelemay.parallel
// CHECK:         func.return
// CHECK-LABEL: func.func @twice(
// CHECK-NOT:     scf.for
// CHECK:         parallel.for @twice_parallel_0(%x, %o, %arena) from %c0 to %c64 step %c8 threads 3 : memref<64x8xf32>, memref<64x8xf32>, memref<1024xi8>
// CHECK-NEXT:    func.return

// Both printers outline a module that still holds marks, and call their runtime.
// C:      struct pelemay_twice_run_parallel_0_context {
// C:      static void pelemay_twice_run_parallel_0(const void *pelemay_context, ptrdiff_t pelemay_lo, ptrdiff_t pelemay_hi)
// C:      for (ptrdiff_t i = pelemay_lo; i < pelemay_hi; i += 8) {
// C:      struct pelemay_team *const pelemay_team = pelemay_team_claim(&pelemay_own_team);
// C:      pelemay_parallel_for(pelemay_team, 3, pelemay_twice_run_parallel_0, &pelemay_context, 0, 64, 8);
// C:      pelemay_team_release(pelemay_team);

// LLVM:      %pelemay.team = type {
// LLVM:      define internal void @twice_parallel_0(ptr %x, ptr %o, ptr %arena, i64 %lo, i64 %hi)
// LLVM:      define internal void @twice(
// LLVM:      %team = call ptr @pelemay.team_claim(ptr %own.team)
// LLVM:      store ptr %arena, ptr
// LLVM:      call void @pelemay.parallel_for(ptr %team, i32 3, ptr @twice_parallel_0.entry, ptr %context{{[0-9]+}}, i64 0, i64 64, i64 8)
// LLVM:      call void @pelemay.team_release(ptr %team)
// LLVM-NEXT: ret void
// LLVM:      define internal void @twice_parallel_0.entry(ptr %context, i64 %lo, i64 %hi)
// LLVM:      call void @twice_parallel_0(ptr %v0, ptr %v1, ptr %v2, i64 %lo, i64 %hi)
// LLVM:      declare i32 @pthread_create(ptr, ptr, ptr, ptr)

func.func @twice(%x: memref<64x8xf32>, %o: memref<64x8xf32>, %arena: memref<1024xi8>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64, pelemay.arena_bytes = 1024 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %t = memref.view %arena[%c0][] : memref<1024xi8> to memref<8x8xf32>
  scf.for %i = %c0 to %c64 step %c8 {
    scf.for %r = %c0 to %c8 step %c1 {
      scf.for %j = %c0 to %c8 step %c1 {
        %row = arith.addi %i, %r : index
        %v = memref.load %x[%row, %j] : memref<64x8xf32>
        %u = memref.load %t[%r, %j] : memref<8x8xf32>
        %w = arith.mulf %v, %u : f32
        memref.store %w, %o[%row, %j] : memref<64x8xf32>
      } {pelemay.parallel = 2 : i64}
    }
  } {pelemay.parallel = 3 : i64}
  func.return
}
