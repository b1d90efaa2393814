// convert-vector-to-arm-simd: the portable vector ops on vector<4xf32>, op for
// op, for each kind of NEON machine; loops and scalars stay as they are.
// RUN: pelemay-opt %s -p 'convert-vector-to-arm-simd{target=aarch64}' | filecheck %s --check-prefixes=CHECK,A64
// RUN: pelemay-opt %s -p 'convert-vector-to-arm-simd{target=armv7}' | filecheck %s --check-prefixes=CHECK,V7,ARMV7
// RUN: pelemay-opt %s -p 'convert-vector-to-arm-simd{target=armv7-a8}' | filecheck %s --check-prefixes=CHECK,A8,ARMV7
// RUN: pelemay-opt %s -p 'convert-vector-to-arm-simd{target=aarch64},verify-arm-simd{target=aarch64}' | filecheck %s --check-prefixes=CHECK,A64

// CHECK-LABEL: func.func @elementwise
// CHECK-NOT: vector.
func.func @elementwise(%x: memref<2x11xf32>, %y: memref<2x11xf32>, %z: memref<2x11xf32>, %c: f32) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  // CHECK: %k = arm_simd.dup %c : f32 -> vector<4xf32>
  %k = vector.broadcast %c : f32 to vector<4xf32>
  scf.for %j = %c0 to %c8 step %c4 {
    // CHECK: %a = arm_simd.load %x[%c0, %j] : memref<2x11xf32> -> vector<4xf32>
    // CHECK-NEXT: %b = arm_simd.load %y[%c0, %j] : memref<2x11xf32> -> vector<4xf32>
    %a = vector.load %x[%c0, %j] : memref<2x11xf32>, vector<4xf32>
    %b = vector.load %y[%c0, %j] : memref<2x11xf32>, vector<4xf32>
    // CHECK-NEXT: %0 = arm_simd.add %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    // CHECK-NEXT: %1 = arm_simd.sub %0, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    // CHECK-NEXT: %2 = arm_simd.mul %1, %k : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    // CHECK-NEXT: %3 = arm_simd.max %2, %a : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    // CHECK-NEXT: %4 = arm_simd.min %3, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    // CHECK-NEXT: %5 = arm_simd.neg %4 : vector<4xf32> -> vector<4xf32>
    %0 = arith.addf %a, %b : vector<4xf32>
    %1 = arith.subf %0, %b : vector<4xf32>
    %2 = arith.mulf %1, %k : vector<4xf32>
    %3 = arith.maximumf %2, %a : vector<4xf32>
    %4 = arith.minimumf %3, %b : vector<4xf32>
    %5 = arith.negf %4 : vector<4xf32>
    // A64-NEXT: %6 = arm_simd.fma %5, %a, %b : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
    // V7-NEXT: %6 = arm_simd.fma %5, %a, %b : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
    // A8-NEXT: %6 = arm_simd.mla %5, %a, %b : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
    %6 = vector.fma %a, %b, %5 : vector<4xf32>
    // A64-NEXT: %q = arm_simd.div %6, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
    // ARMV7-NEXT: %q = arm_simd.get_lane %6, 0 : vector<4xf32> -> f32
    // ARMV7-NEXT: %q_1 = arm_simd.get_lane %b, 0 : vector<4xf32> -> f32
    // ARMV7-NEXT: %q_2 = arith.divf %q, %q_1 : f32
    // ARMV7-NEXT: %q_3 = arm_simd.dup %q_2 : f32 -> vector<4xf32>
    // ARMV7-NEXT: %q_4 = arm_simd.get_lane %6, 1 : vector<4xf32> -> f32
    // ARMV7-NEXT: %q_5 = arm_simd.get_lane %b, 1 : vector<4xf32> -> f32
    // ARMV7-NEXT: %q_6 = arith.divf %q_4, %q_5 : f32
    // ARMV7-NEXT: %q_7 = arm_simd.set_lane %q_6, %q_3, 1 : f32, vector<4xf32> -> vector<4xf32>
    // ARMV7:      %q_15 = arm_simd.set_lane %q_14, %q_11, 3 : f32, vector<4xf32> -> vector<4xf32>
    %q = arith.divf %6, %b : vector<4xf32>
    // A64-NEXT: arm_simd.store %q, %z[%c0, %j] : vector<4xf32>, memref<2x11xf32>
    // ARMV7-NEXT: arm_simd.store %q_15, %z[%c0, %j] : vector<4xf32>, memref<2x11xf32>
    vector.store %q, %z[%c0, %j] : memref<2x11xf32>, vector<4xf32>
  }
  // Scalar arith is not the vector level: it stays.
  // CHECK: arith.addf %c, %c : f32
  %s = arith.addf %c, %c : f32
  func.return
}

// CHECK-LABEL: func.func @reductions
// CHECK-NOT: vector.
func.func @reductions(%v: vector<4xf32>, %acc: f32) -> (f32, f32, f32) {
  // A64-NEXT: %sum = arm_simd.reduce_add %v : vector<4xf32> -> f32
  // ARMV7-NEXT: %sum = arm_simd.get_low %v : vector<4xf32> -> vector<2xf32>
  // ARMV7-NEXT: %sum_1 = arm_simd.get_high %v : vector<4xf32> -> vector<2xf32>
  // ARMV7-NEXT: %sum_2 = arm_simd.padd %sum, %sum_1 : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  // ARMV7-NEXT: %sum_3 = arm_simd.padd %sum_2, %sum_2 : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  // ARMV7-NEXT: %sum_4 = arm_simd.get_lane %sum_3, 0 : vector<2xf32> -> f32
  %sum = vector.reduction <add>, %v : vector<4xf32> into f32
  // A64-NEXT: %max = arm_simd.reduce_max %v : vector<4xf32> -> f32
  // A64-NEXT: %max_1 = arith.maximumf %acc, %max : f32
  // ARMV7:      %max_2 = arm_simd.pmax %max, %max_1 : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  // ARMV7-NEXT: %max_3 = arm_simd.pmax %max_2, %max_2 : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  // ARMV7-NEXT: %max_4 = arm_simd.get_lane %max_3, 0 : vector<2xf32> -> f32
  // ARMV7-NEXT: %max_5 = arith.maximumf %acc, %max_4 : f32
  %max = vector.reduction <maximumf>, %v, %acc : vector<4xf32> into f32
  // A64-NEXT: %min = arm_simd.reduce_min %v : vector<4xf32> -> f32
  // ARMV7:      %min_2 = arm_simd.pmin %min, %min_1 : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  %min = vector.reduction <minimumf>, %v : vector<4xf32> into f32
  func.return %sum, %max, %min : f32, f32, f32
}

// Loop-carried vectors keep their type.
// CHECK-LABEL: func.func @carried
func.func @carried(%x: memref<16xf32>, %c: f32) -> vector<4xf32> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %init = vector.broadcast %c : f32 to vector<4xf32>
  // CHECK: scf.for %i = %c0 to %c16 step %c4 iter_args(%s = %init) -> (vector<4xf32>) {
  // CHECK-NEXT: %v = arm_simd.load %x[%i] : memref<16xf32> -> vector<4xf32>
  // CHECK-NEXT: %n = arm_simd.add %s, %v : vector<4xf32>, vector<4xf32> -> vector<4xf32>
  // CHECK-NEXT: scf.yield %n : vector<4xf32>
  %r = scf.for %i = %c0 to %c16 step %c4 iter_args(%s = %init) -> (vector<4xf32>) {
    %v = vector.load %x[%i] : memref<16xf32>, vector<4xf32>
    %n = arith.addf %s, %v : vector<4xf32>
    scf.yield %n : vector<4xf32>
  }
  func.return %r : vector<4xf32>
}

// The vector exp's power of two: the bits of f32 lanes shifted by a splat
// constant, which becomes the shift's immediate and goes.
// CHECK-LABEL: func.func @power_of_two
// CHECK-NOT: arith.constant
// CHECK: %b = arm_simd.reinterpret %x : vector<4xf32> -> vector<4xi32>
// CHECK-NEXT: %s = arm_simd.shift_left %b, 23 : vector<4xi32> -> vector<4xi32>
// CHECK-NEXT: %p = arm_simd.reinterpret %s : vector<4xi32> -> vector<4xf32>
func.func @power_of_two(%x: vector<4xf32>) -> vector<4xf32> {
  %c23 = arith.constant dense<23> : vector<4xi32>
  %b = arith.bitcast %x : vector<4xf32> to vector<4xi32>
  %s = arith.shli %b, %c23 : vector<4xi32>
  %p = arith.bitcast %s : vector<4xi32> to vector<4xf32>
  func.return %p : vector<4xf32>
}

// Two vectors moved by one instruction: a vector<8xf32> load split into its
// even and odd lanes is load2; the interleaving of two vectors stored as
// vector<8xf32> is store2.
// CHECK-LABEL: func.func @pairs
// CHECK-NEXT: %e, %o = arm_simd.load2 %x[%j] : memref<16xf32> -> vector<4xf32>, vector<4xf32>
// CHECK-NEXT: %s = arm_simd.add %o, %e : vector<4xf32>, vector<4xf32> -> vector<4xf32>
// CHECK-NEXT: arm_simd.store2 %s, %e, %y[%j] : vector<4xf32>, vector<4xf32>, memref<16xf32>
// CHECK-NEXT: func.return
func.func @pairs(%x: memref<16xf32>, %y: memref<16xf32>, %j: index) {
  %w = vector.load %x[%j] : memref<16xf32>, vector<8xf32>
  %e = vector.shuffle %w, %w [0, 2, 4, 6] : vector<8xf32>, vector<8xf32>
  %o = vector.shuffle %w, %w [1, 3, 5, 7] : vector<8xf32>, vector<8xf32>
  %s = arith.addf %o, %e : vector<4xf32>
  %i = vector.shuffle %s, %e [0, 4, 1, 5, 2, 6, 3, 7] : vector<4xf32>, vector<4xf32>
  vector.store %i, %y[%j] : memref<16xf32>, vector<8xf32>
  func.return
}
