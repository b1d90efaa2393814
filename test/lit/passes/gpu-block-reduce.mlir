// RUN: pelemay-opt %s -p pelemay-to-cuda | filecheck %s
// RUN: pelemay-opt %s -p pelemay-to-cuda | pelemay-opt | filecheck %s
// RUN: pelemay-opt %s -p pelemay-to-cuda -t cuda | filecheck %s --check-prefix=CUDA

// The sum of each of 20 rows of 300 takes a block of 256 threads: blocks
// stride over the rows, each thread folds every 256th element from 0.0, the
// partials meet in workgroup memory, a tree of 3 halving steps, each ended
// by a barrier, adds them down to 32, and the first warp adds those by 5
// shuffles down; thread 0 stores the row's total.

// CHECK:       "gpu.launch_func"(%[[ROWS:.*]], %{{.*}}, %{{.*}}, %[[THREADS:.*]], {{.*}} <{kernel = @pelemay_kernels::@row_kernel_0
// CHECK:       "gpu.func"()
// CHECK:         %partials = memref.alloca() : memref<256xf32, 3 : i64>
// CHECK-NEXT:    %tid = "gpu.thread_id"() <{dimension = #gpu<dim x>}> : () -> index
// CHECK-NEXT:    %first_point = "gpu.block_id"() <{dimension = #gpu<dim x>}> : () -> index
// CHECK-NEXT:    %point_stride = "gpu.grid_dim"() <{dimension = #gpu<dim x>}> : () -> index
// CHECK-NEXT:    %points = arith.constant 20 : index
// CHECK-NEXT:    scf.for %[[ROW:.*]] = %first_point to %points step %point_stride {
// CHECK:           %[[PARTIAL:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32) {
// CHECK:             memref.load %x[%[[ROW]], %{{.*}}] : memref<20x300xf32>
// CHECK:           memref.store %[[PARTIAL]], %partials[%tid] : memref<256xf32, 3 : i64>
// CHECK-NEXT:      "gpu.barrier"() : () -> ()
// CHECK-COUNT-3:   "gpu.barrier"() : () -> ()
// CHECK:           scf.if %{{.*}} {
// CHECK-NEXT:        %[[LANE:.*]] = memref.load %partials[%tid] : memref<256xf32, 3 : i64>
// CHECK-NEXT:        %[[LANES:.*]] = arith.constant 32 : i32
// CHECK-NEXT:        %[[SIXTEEN:.*]] = arith.constant 16 : i32
// CHECK-NEXT:        %[[FROM:.*]], %{{.*}} = "gpu.shuffle"(%[[LANE]], %[[SIXTEEN]], %[[LANES]]) <{mode = #gpu<shuffle_mode down>}> : (f32, i32, i32) -> (f32, i1)
// CHECK-NEXT:        %{{.*}} = arith.addf %[[LANE]], %[[FROM]] : f32
// CHECK-COUNT-4:     "gpu.shuffle"
// CHECK:             scf.if %{{.*}} {
// CHECK-NEXT:          memref.store %{{.*}}, %partials[%{{.*}}] : memref<256xf32, 3 : i64>
// CHECK-NEXT:        }
// CHECK-NEXT:      }
// CHECK-NEXT:      "gpu.barrier"() : () -> ()
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-NEXT:      %[[TOTAL:.*]] = memref.load %partials[%[[ZERO]]] : memref<256xf32, 3 : i64>
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %{{.*}}, %[[TOTAL]] : f32
// CHECK-NEXT:      "gpu.barrier"() : () -> ()
// CHECK:           %[[FIRST:.*]] = arith.cmpi eq, %tid, %{{.*}} : index
// CHECK-NEXT:      scf.if %[[FIRST]] {
// CHECK-NEXT:        memref.store %[[SUM]], %out[%[[ROW]]] : memref<20xf32>
// CHECK-NEXT:      }

// CUDA:      static __global__ void __launch_bounds__(256) pelemay_row_kernel_0(
// CUDA-NEXT: {
// CUDA-NEXT:     __shared__ float partials[256];
// CUDA:                  const float [[V:.*]] = __shfl_down_sync(0xffffffffu, {{.*}}, 16);
// CUDA:      PELEMAY_CUDA_LAUNCH(pelemay_row_kernel_0, 20, 256, stream, x, out);

builtin.module {
  func.func @row(%x: tensor<20x300xf32>) -> tensor<20xf32> {
    %s = ptensor.reduce_sum %x {axes = array<i64: 1>} : tensor<20x300xf32> -> tensor<20xf32>
    func.return %s : tensor<20xf32>
  }
}
