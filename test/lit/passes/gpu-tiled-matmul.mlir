// RUN: pelemay-opt %s -p pelemay-to-cuda | filecheck %s
// RUN: pelemay-opt %s -p pelemay-to-cuda | pelemay-opt | filecheck %s
// RUN: pelemay-opt %s -p pelemay-to-cuda -t cuda | filecheck %s --check-prefix=CUDA

// A 70x45 by 45x100 matmul with its bias add and relu fused: one kernel of
// 256 threads over ceil(70/64) * ceil(100/64) = 4 tiles. Two workgroup
// tiles, each K-slice of 16 loaded by the block between two barriers, 16
// accumulators a thread; each in-range output runs the epilogue on the
// accumulator, not on memory, and is stored once.

// CHECK:       func.func @dense(
// CHECK:         %[[FOUR:.*]] = arith.constant 4 : index
// CHECK:         %[[THREADS:.*]] = arith.constant 256 : index
// CHECK:         "gpu.launch_func"(%[[FOUR]], %{{.*}}, %{{.*}}, %[[THREADS]], {{.*}} <{kernel = @pelemay_kernels::@dense_kernel_0
// CHECK:       "gpu.func"()
// CHECK:         %a_tile = memref.alloca() : memref<16x65xf32, 3 : i64>
// CHECK-NEXT:    %b_tile = memref.alloca() : memref<16x64xf32, 3 : i64>
// CHECK:         scf.for %tile = %first_tile to %{{.*}} step %tile_stride {
// CHECK:           scf.for %k0 = {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-COUNT-4:     memref.store %{{.*}}, %a_tile[%tx, %{{.*}}] : memref<16x65xf32, 3 : i64>
// CHECK-COUNT-4:     memref.store %{{.*}}, %b_tile[%{{.*}}, %b_col] : memref<16x64xf32, 3 : i64>
// CHECK-NEXT:        "gpu.barrier"() : () -> ()
// CHECK:             scf.for
// CHECK-COUNT-4:       memref.load %a_tile
// CHECK-COUNT-4:       memref.load %b_tile
// CHECK:             "gpu.barrier"() : () -> ()
// CHECK-NEXT:        scf.yield
// CHECK:           scf.if %{{.*}} {
// CHECK-NEXT:        %[[BIAS:.*]] = memref.load %b[%col] : memref<100xf32>
// CHECK-NEXT:        %[[ADDED:.*]] = arith.addf %{{.*}}, %[[BIAS]] : f32
// CHECK-NEXT:        %[[RELU:.*]] = arith.maximumf %[[ADDED]], %{{.*}} : f32
// CHECK-NEXT:        memref.store %[[RELU]], %out[%row, %col] : memref<70x100xf32>
// CHECK-NEXT:      }

// CUDA:      static __global__ void __launch_bounds__(256) pelemay_dense_kernel_0(
// CUDA-NEXT: {
// CUDA-NEXT:     __shared__ float a_tile[1040];
// CUDA-NEXT:     __shared__ float b_tile[1024];
// CUDA:              __syncthreads();
// CUDA:              __syncthreads();
// CUDA:      PELEMAY_CUDA_LAUNCH(pelemay_dense_kernel_0, 4, 256, stream, x, w, b, out);

builtin.module {
  func.func @dense(%x: tensor<70x45xf32>, %w: tensor<45x100xf32>, %b: tensor<100xf32>) -> tensor<70x100xf32> {
    %y = ptensor.matmul %x, %w : tensor<70x45xf32>, tensor<45x100xf32> -> tensor<70x100xf32>
    %a = ptensor.add %y, %b : tensor<70x100xf32>, tensor<100xf32> -> tensor<70x100xf32>
    %r = ptensor.relu %a : tensor<70x100xf32>
    func.return %r : tensor<70x100xf32>
  }
}
