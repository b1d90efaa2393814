// RUN: pelemay-opt %s -t llvm | filecheck %s

// The run function checks its pointers as the C target does, then calls the
// program; the sizes are exported as constants; weights stay read-only globals.
// CHECK:      target triple = "x86_64-pc-linux-gnu"
// CHECK:      @ew_arena_bytes = constant i64 64
// CHECK-NEXT: @ew_arena_align = constant i64 16
// CHECK:      @bias = internal constant [4 x float] [float 0x3FF0000000000000, float 0xC000000000000000, float 0x3FE0000000000000, float 0x4010000000000000], align 16

// CHECK:      define internal void @ew(ptr %x, ptr %out, ptr %arena) #0 {
// CHECK:        %[[VIEW:.*]] = getelementptr inbounds i8, ptr %arena, i64 32
// CHECK:        %[[I:i[0-9]+]] = phi i64 [ 0, %entry ], [ %{{.*}}, %{{.*}} ]
// CHECK:        %[[J:i[0-9]+]] = phi i64 [ 0, %{{.*}} ], [ %{{.*}}, %{{.*}} ]
// CHECK:        %[[ROW:.*]] = mul nsw i64 %[[I]], 4
// CHECK-NEXT:   %[[IDX:.*]] = add nsw i64 %[[ROW]], %[[J]]
// CHECK-NEXT:   %[[PX:.*]] = getelementptr inbounds float, ptr %x, i64 %[[IDX]]
// CHECK-NEXT:   %{{.*}} = load float, ptr %[[PX]], align 4
// CHECK:        getelementptr inbounds float, ptr @bias, i64 %[[J]]
// CHECK:        getelementptr inbounds float, ptr %[[VIEW]], i64

// CHECK:      define i32 @ew_run(ptr %x, ptr %out, ptr %arena) #0 {
// CHECK:        %arena.null = icmp eq ptr %arena, null
// CHECK:      fail.0:
// CHECK-NEXT:   ret i32 1
// CHECK:        %arena.low = and i64 %arena.address, 15
// CHECK:      fail.1:
// CHECK-NEXT:   ret i32 2
// CHECK:      run.program:
// CHECK-NEXT:   call void @ew(ptr %x, ptr %out, ptr %arena)
// CHECK-NEXT:   ret i32 0
// CHECK:      attributes #0 = { nounwind

"memref.global"() <{sym_name = "bias", sym_visibility = "private", type = memref<4xf32>, initial_value = dense<[1.0, -2.0, 0.5, 4.0]> : tensor<4xf32>, constant}> : () -> ()
func.func @ew(%x: memref<2x4xf32>, %out: memref<2x4xf32>, %arena: memref<64xi8>)
    attributes {pelemay.entry, pelemay.num_inputs = 1 : i64, pelemay.arena_bytes = 64 : i64, pelemay.arena_align = 16 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %off = arith.constant 32 : index
  %t = memref.view %arena[%off][] : memref<64xi8> to memref<2x4xf32>
  %b = memref.get_global @bias : memref<4xf32>
  scf.for %i = %c0 to %c2 step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      %v = memref.load %x[%i, %j] : memref<2x4xf32>
      %w = memref.load %b[%j] : memref<4xf32>
      %s = arith.addf %v, %w : f32
      memref.store %s, %t[%i, %j] : memref<2x4xf32>
      %u = memref.load %t[%i, %j] : memref<2x4xf32>
      memref.store %u, %out[%i, %j] : memref<2x4xf32>
    }
  }
  func.return
}
