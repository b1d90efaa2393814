// RUN: pelemay-opt %s --split-input-file -p outline-gpu-kernels | filecheck %s
// RUN: pelemay-opt %s --split-input-file -p outline-gpu-kernels | pelemay-opt --split-input-file | filecheck %s

// A perfectly nested, independent 64x7 nest is one index space of 448
// points: 2 blocks of 256 threads, a grid-stride loop, and each point split
// back into (i, j). The host keeps the constants and launches the kernel.

// CHECK:       builtin.module attributes {gpu.container_module, pelemay.cuda_arch = "sm_90"} {
// CHECK-LABEL:   func.func @twice(
// CHECK-NOT:       scf.for
// CHECK:           "gpu.launch_func"(%[[BLOCKS:.*]], %[[ONE:.*]], %[[ONE]], %[[THREADS:.*]], %[[ONE]], %[[ONE]], %x, %o) <{kernel = @pelemay_kernels::@twice_kernel_0
// CHECK-NEXT:      func.return
// CHECK:         "gpu.module"() <{sym_name = "pelemay_kernels"}> ({
// CHECK:           ^bb0(%x: memref<64x7xf32>, %o: memref<64x7xf32>):
// CHECK:             %first_point = arith.addi
// CHECK:             %points = arith.constant 448 : index
// CHECK:             scf.for %point = %first_point to %points step %point_stride {
// CHECK-NEXT:          %[[SEVEN:.*]] = arith.constant 7 : index
// CHECK-NEXT:          %j = arith.remui %point, %[[SEVEN]] : index
// CHECK-NEXT:          %i = arith.divui %point, %[[SEVEN]] : index
// CHECK-NEXT:          %v = memref.load %x[%i, %j] : memref<64x7xf32>
// CHECK:               memref.store %w, %o[%i, %j] : memref<64x7xf32>
// CHECK:           }) {sym_name = "twice_kernel_0"} : () -> ()

func.func @twice(%x: memref<64x7xf32>, %o: memref<64x7xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %c64 = arith.constant 64 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c64 step %c1 {
    scf.for %j = %c0 to %c7 step %c1 {
      %v = memref.load %x[%i, %j] : memref<64x7xf32>
      %w = arith.mulf %v, %two : f32
      memref.store %w, %o[%i, %j] : memref<64x7xf32>
    }
  }
  func.return
}

// -----

// A loop carrying a value (a reduction to a scalar) runs in a kernel of one
// thread, and the ops using its result join that kernel: no value crosses
// from the device to the host.

// CHECK-LABEL:   func.func @total(
// CHECK:           %[[ONE:[0-9]+]] = arith.constant 1 : index
// CHECK:           "gpu.launch_func"(%[[ONE]], %[[ONE]], %[[ONE]], %[[ONE]], %[[ONE]], %[[ONE]], %x, %o) <{kernel = @pelemay_kernels::@total_kernel_0
// CHECK:           ^bb0(%x: memref<100xf32>, %o: memref<f32>):
// CHECK:             %s = scf.for %i = %c0 to %c100 step %c1 iter_args(%acc = %zero) -> (f32) {
// CHECK:             %mean = arith.divf %s, %n : f32
// CHECK-NEXT:        memref.store %mean, %o[] : memref<f32>
// CHECK-NEXT:        "gpu.return"() : () -> ()

func.func @total(%x: memref<100xf32>, %o: memref<f32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c100 = arith.constant 100 : index
  %zero = arith.constant 0.0 : f32
  %s = scf.for %i = %c0 to %c100 step %c1 iter_args(%acc = %zero) -> (f32) {
    %v = memref.load %x[%i] : memref<100xf32>
    %a = arith.addf %acc, %v : f32
    scf.yield %a : f32
  }
  %n = arith.constant 100.0 : f32
  %mean = arith.divf %s, %n : f32
  memref.store %mean, %o[] : memref<f32>
  func.return
}

// -----

// A store between the row loop and the column loop stops the collapse, and
// the column loop reads what the previous column wrote: each row is one
// point (4 points, one warp), its columns sequential.

// CHECK-LABEL:   func.func @rows(
// CHECK:           "gpu.launch_func"(%[[BLOCKS:.*]], %[[ONE:.*]], %[[ONE]], %[[THREADS:.*]], %[[ONE]], %[[ONE]], %x, %o)
// CHECK:           %points = arith.constant 4 : index
// CHECK:           scf.for %i = %first_point to %points step %point_stride {
// CHECK-NEXT:        memref.store %zero, %o[%i, %c0] : memref<4x8xf32>
// CHECK-NEXT:        scf.for %j = %c1 to %c8 step %c1 {

func.func @rows(%x: memref<4x8xf32>, %o: memref<4x8xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %zero, %o[%i, %c0] : memref<4x8xf32>
    scf.for %j = %c1 to %c8 step %c1 {
      %jm = arith.subi %j, %c1 : index
      %p = memref.load %o[%i, %jm] : memref<4x8xf32>
      %v = memref.load %x[%i, %j] : memref<4x8xf32>
      %s = arith.addf %p, %v : f32
      memref.store %s, %o[%i, %j] : memref<4x8xf32>
    }
  }
  func.return
}

// -----

// Two nests over the same 16x6 points, the second reading and writing the
// first's output only at its own point: one kernel, each point doing both
// bodies in order (a conv and its relu become one launch this way).

// CHECK-LABEL:   func.func @scale_then_relu(
// CHECK:           "gpu.launch_func"
// CHECK-NOT:       "gpu.launch_func"
// CHECK:           func.return
// CHECK:           scf.for %point = %first_point to %points step %point_stride {
// CHECK:             %j = arith.remui %point
// CHECK-NEXT:        %i = arith.divui %point
// CHECK:             memref.store %w, %o[%i, %j] : memref<16x6xf32>
// CHECK-NEXT:        %r = memref.load %o[%i, %j] : memref<16x6xf32>
// CHECK-NEXT:        %m = arith.maximumf %r, %zero : f32
// CHECK-NEXT:        memref.store %m, %o[%i, %j] : memref<16x6xf32>

func.func @scale_then_relu(%x: memref<16x6xf32>, %o: memref<16x6xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c16 = arith.constant 16 : index
  %two = arith.constant 2.0 : f32
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c16 step %c1 {
    scf.for %j = %c0 to %c6 step %c1 {
      %v = memref.load %x[%i, %j] : memref<16x6xf32>
      %w = arith.mulf %v, %two : f32
      memref.store %w, %o[%i, %j] : memref<16x6xf32>
    }
  }
  scf.for %a = %c0 to %c16 step %c1 {
    scf.for %b = %c0 to %c6 step %c1 {
      %r = memref.load %o[%a, %b] : memref<16x6xf32>
      %m = arith.maximumf %r, %zero : f32
      memref.store %m, %o[%a, %b] : memref<16x6xf32>
    }
  }
  func.return
}

// -----

// The second nest reads the element left of its own point, which another
// point writes: the nests stay two kernels, run one after the other.

// CHECK-LABEL:   func.func @shift(
// CHECK:           "gpu.launch_func"({{.*}}) <{kernel = @pelemay_kernels::@shift_kernel_0
// CHECK:           "gpu.launch_func"({{.*}}) <{kernel = @pelemay_kernels::@shift_kernel_1

func.func @shift(%x: memref<16x8xf32>, %t: memref<16x8xf32>, %o: memref<16x7xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c16 step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      %v = memref.load %x[%i, %j] : memref<16x8xf32>
      %w = arith.mulf %v, %two : f32
      memref.store %w, %t[%i, %j] : memref<16x8xf32>
    }
  }
  scf.for %a = %c0 to %c16 step %c1 {
    scf.for %b = %c0 to %c7 step %c1 {
      %b1 = arith.addi %b, %c1 : index
      %r = memref.load %t[%a, %b1] : memref<16x8xf32>
      memref.store %r, %o[%a, %b] : memref<16x7xf32>
    }
  }
  func.return
}
