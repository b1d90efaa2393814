// RUN: pelemay-opt %s -p pelemay-to-cuda | filecheck %s
// RUN: pelemay-opt %s -p pelemay-to-cuda | pelemay-opt | filecheck %s
// RUN: pelemay-opt %s -p pelemay-to-cuda -t cuda | filecheck %s --check-prefix=CUDA

// A 3x3 convolution, padding 1, of a 2x7x9x5 input into 37 channels with
// its bias and relu: the implicit GEMM of M = 2*7*9 = 126 pixels, N = 37
// filters, K = 3*3*5 = 45 taps, one kernel of 256 threads over
// ceil(126/64) * ceil(37/64) = 2 tiles. The filter is B as it is, a 45x37
// matrix; each row of A a thread loads (n, oy, ox and its window's origin)
// is computed once a tile, each column (channel and tap) once a slice, and
// an element in the padding is 0. The epilogue runs on the accumulator.

// CHECK:       func.func @conv(
// CHECK:         %[[THREADS:.*]] = arith.constant 256 : index
// CHECK-NEXT:    "gpu.launch_func"(%{{.*}}, %{{.*}}, %{{.*}}, %[[THREADS]], {{.*}} <{kernel = @pelemay_kernels::@conv_kernel_0
// CHECK:       "gpu.func"()
// CHECK:         %b_matrix = memref.reinterpret_cast %w to offset: [0], sizes: [45, 37], strides: [37, 1] : memref<3x3x5x37xf32> to memref<45x37xf32>
// CHECK-NEXT:    %a_tile = memref.alloca() : memref<16x65xf32, 3 : i64>
// CHECK-NEXT:    %b_tile = memref.alloca() : memref<16x64xf32, 3 : i64>
// CHECK:         scf.for %tile = %first_tile to %{{.*}} step %tile_stride {
// CHECK-COUNT-4:   %oy{{.*}} = arith.remui
// CHECK:           scf.for %k0 = {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-NOT:         %oy
// CHECK:             %[[X:.*]] = memref.load %x[%n, %{{.*}}, %{{.*}}, %{{.*}}] : memref<2x7x9x5xf32>
// CHECK-NEXT:        %[[A:.*]] = arith.select %{{.*}}, %[[X]], %{{.*}} : f32
// CHECK:             memref.store %[[A]], %a_tile[%tx, %{{.*}}] : memref<16x65xf32, 3 : i64>
// CHECK-COUNT-3:     memref.store %{{.*}}, %a_tile[%tx, %{{.*}}] : memref<16x65xf32, 3 : i64>
// CHECK:             memref.load %b_matrix
// CHECK-COUNT-4:     memref.store %{{.*}}, %b_tile[%{{.*}}, %b_col] : memref<16x64xf32, 3 : i64>
// CHECK-NEXT:        "gpu.barrier"() : () -> ()
// CHECK:             "gpu.barrier"() : () -> ()
// CHECK-NEXT:        scf.yield
// CHECK:           scf.if %{{.*}} {
// CHECK-NEXT:        %[[BIAS:.*]] = memref.load %b[%col] : memref<37xf32>
// CHECK-NEXT:        %[[ADDED:.*]] = arith.addf %{{.*}}, %[[BIAS]] : f32
// CHECK-NEXT:        %[[RELU:.*]] = arith.maximumf %[[ADDED]], %{{.*}} : f32
// CHECK-NEXT:        memref.store %[[RELU]], %out[%n, %oy, %ox, %col] : memref<2x7x9x37xf32>
// CHECK-NEXT:      }

// CUDA:      static __global__ void __launch_bounds__(256) pelemay_conv_kernel_0(
// CUDA-NEXT: {
// CUDA-NEXT:     __shared__ float a_tile[1040];
// CUDA-NEXT:     __shared__ float b_tile[1024];
// CUDA:              __syncthreads();
// CUDA:              __syncthreads();
// CUDA:      PELEMAY_CUDA_LAUNCH(pelemay_conv_kernel_0, 2, 256, stream, x, w, b, out);

builtin.module {
  func.func @conv(%x: tensor<2x7x9x5xf32>, %w: tensor<3x3x5x37xf32>, %b: tensor<37xf32>) -> tensor<2x7x9x37xf32> {
    %y = ptensor.conv2d %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 1 : i64} : tensor<2x7x9x5xf32>, tensor<3x3x5x37xf32>, tensor<37xf32> -> tensor<2x7x9x37xf32>
    %r = ptensor.relu %y : tensor<2x7x9x37xf32>
    func.return %r : tensor<2x7x9x37xf32>
  }
}
