// RUN: pelemay-opt %s --split-input-file -p outline-gpu-kernels | filecheck %s
// RUN: pelemay-opt %s --split-input-file -p outline-gpu-kernels | pelemay-opt --split-input-file | filecheck %s
// RUN: pelemay-opt %s --split-input-file -p outline-gpu-kernels -t cuda | filecheck %s --check-prefix=CUDA

// An elementwise nest over rows of 16 f32, from an input (16-byte aligned
// by the cuda run function's check) into the arena at byte 64 (16-byte
// aligned by the plan): each point takes four elements, one 128-bit load
// and one 128-bit store, its scalar body once a lane. 8x16 elements are 32
// points.

// CHECK-LABEL:   func.func @wide(
// CHECK:           scf.for %point = %first_point to %points step %point_stride {
// CHECK:             %[[J:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK:             %[[V:.*]] = vector.load %x[%i, %[[J]]] : memref<8x16xf32>, vector<4xf32>
// CHECK-NEXT:        %{{.*}} = vector.extract %[[V]][0] : f32 from vector<4xf32>
// CHECK:             %{{.*}} = vector.extract %[[V]][3] : f32 from vector<4xf32>
// CHECK-COUNT-4:     arith.mulf
// CHECK-NEXT:        %[[B:.*]] = vector.broadcast %{{.*}} : f32 to vector<4xf32>
// CHECK:             %[[W:.*]] = vector.insert %{{.*}}, %{{.*}} [3] : f32 into vector<4xf32>
// CHECK-NEXT:        vector.store %[[W]], %{{.*}}[%i, %[[J]]] : memref<8x16xf32>, vector<4xf32>
// CHECK-NOT:         memref.load
// CHECK:           }) {sym_name = "wide_kernel_0"} : () -> ()

// CUDA-LABEL:  static __global__ void __launch_bounds__(32) pelemay_wide_kernel_0(
// CUDA:            for (ptrdiff_t point = first_point; point < 32; point += point_stride) {
// CUDA:                const float4 [[V:.*]] = *(const float4 *)(&x[
// CUDA:                *(float4 *)(&

func.func @wide(%x: memref<8x16xf32>, %arena: memref<576xi8>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64, pelemay.arena_bytes = 576 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %two = arith.constant 2.0 : f32
  %t = memref.view %arena[%c64][] : memref<576xi8> to memref<8x16xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      %v = memref.load %x[%i, %j] : memref<8x16xf32>
      %w = arith.mulf %v, %two : f32
      memref.store %w, %t[%i, %j] : memref<8x16xf32>
    }
  }
  func.return
}

// -----

// The same nest into the arena at byte 4: its rows are not 16-byte aligned,
// so the point stays one element (128 points), scalar loads and stores.

// CHECK-LABEL:   func.func @odd(
// CHECK:             %points = arith.constant 128 : index
// CHECK:             scf.for %point = %first_point to %points step %point_stride {
// CHECK:               %v = memref.load %x[%i, %j] : memref<8x16xf32>
// CHECK:               memref.store %w, %{{.*}}[%i, %j] : memref<8x16xf32>
// CHECK-NOT:           vector.
// CHECK:           }) {sym_name = "odd_kernel_0"} : () -> ()

// CUDA-LABEL:  static __global__ void __launch_bounds__(128) pelemay_odd_kernel_0(
// CUDA-NOT:        float4
// CUDA:        int odd_run_cuda(

func.func @odd(%x: memref<8x16xf32>, %arena: memref<576xi8>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64, pelemay.arena_bytes = 576 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %two = arith.constant 2.0 : f32
  %t = memref.view %arena[%c4][] : memref<576xi8> to memref<8x16xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      %v = memref.load %x[%i, %j] : memref<8x16xf32>
      %w = arith.mulf %v, %two : f32
      memref.store %w, %t[%i, %j] : memref<8x16xf32>
    }
  }
  func.return
}
