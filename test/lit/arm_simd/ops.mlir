// Every arm_simd op, printed back in the custom form.
// RUN: pelemay-opt %s | filecheck %s
// RUN: pelemay-opt %s --print-op-generic | pelemay-opt | filecheck %s

// CHECK-LABEL: func.func @memory
func.func @memory(%m: memref<4x16xf32>, %b: memref<64xi8>, %i: index, %j: index) {
  // CHECK-NEXT: %v = arm_simd.load %m[%i, %j] : memref<4x16xf32> -> vector<4xf32>
  %v = arm_simd.load %m[%i, %j] : memref<4x16xf32> -> vector<4xf32>
  // CHECK-NEXT: arm_simd.store %v, %m[%j, %i] : vector<4xf32>, memref<4x16xf32>
  arm_simd.store %v, %m[%j, %i] : vector<4xf32>, memref<4x16xf32>
  // CHECK-NEXT: %w = arm_simd.load_lane %m[%i, %j], %v, 3 : memref<4x16xf32>, vector<4xf32> -> vector<4xf32>
  %w = arm_simd.load_lane %m[%i, %j], %v, 3 : memref<4x16xf32>, vector<4xf32> -> vector<4xf32>
  // CHECK-NEXT: arm_simd.store_lane %w, 0, %m[%i, %j] : vector<4xf32>, memref<4x16xf32>
  arm_simd.store_lane %w, 0, %m[%i, %j] : vector<4xf32>, memref<4x16xf32>
  // CHECK-NEXT: %q = arm_simd.load %b[%i] : memref<64xi8> -> vector<16xi8>
  %q = arm_simd.load %b[%i] : memref<64xi8> -> vector<16xi8>
  // CHECK-NEXT: arm_simd.store %q, %b[%j] : vector<16xi8>, memref<64xi8>
  arm_simd.store %q, %b[%j] : vector<16xi8>, memref<64xi8>
  // CHECK-NEXT: %e, %o = arm_simd.load2 %m[%i, %j] : memref<4x16xf32> -> vector<4xf32>, vector<4xf32>
  %e, %o = arm_simd.load2 %m[%i, %j] : memref<4x16xf32> -> vector<4xf32>, vector<4xf32>
  // CHECK-NEXT: arm_simd.store2 %o, %e, %m[%j, %i] : vector<4xf32>, vector<4xf32>, memref<4x16xf32>
  arm_simd.store2 %o, %e, %m[%j, %i] : vector<4xf32>, vector<4xf32>, memref<4x16xf32>
  // CHECK-NEXT: %qe, %qo = arm_simd.load2 %b[%i] : memref<64xi8> -> vector<16xi8>, vector<16xi8>
  %qe, %qo = arm_simd.load2 %b[%i] : memref<64xi8> -> vector<16xi8>, vector<16xi8>
  // CHECK-NEXT: arm_simd.store2 %qe, %qo, %b[%j] : vector<16xi8>, vector<16xi8>, memref<64xi8>
  arm_simd.store2 %qe, %qo, %b[%j] : vector<16xi8>, vector<16xi8>, memref<64xi8>
  func.return
}

// CHECK-LABEL: func.func @lanes
func.func @lanes(%x: f32, %n: i16) -> (vector<4xf32>, vector<8xi16>) {
  // CHECK-NEXT: %v = arm_simd.dup %x : f32 -> vector<4xf32>
  %v = arm_simd.dup %x : f32 -> vector<4xf32>
  // CHECK-NEXT: %lo = arm_simd.get_low %v : vector<4xf32> -> vector<2xf32>
  %lo = arm_simd.get_low %v : vector<4xf32> -> vector<2xf32>
  // CHECK-NEXT: %hi = arm_simd.get_high %v : vector<4xf32> -> vector<2xf32>
  %hi = arm_simd.get_high %v : vector<4xf32> -> vector<2xf32>
  // CHECK-NEXT: %c = arm_simd.combine %hi, %lo : vector<2xf32>, vector<2xf32> -> vector<4xf32>
  %c = arm_simd.combine %hi, %lo : vector<2xf32>, vector<2xf32> -> vector<4xf32>
  // CHECK-NEXT: %s = arm_simd.dup %n : i16 -> vector<8xi16>
  %s = arm_simd.dup %n : i16 -> vector<8xi16>
  // CHECK-NEXT: %e = arm_simd.get_lane %v, 3 : vector<4xf32> -> f32
  %e = arm_simd.get_lane %v, 3 : vector<4xf32> -> f32
  // CHECK-NEXT: %f = arm_simd.get_lane %lo, 1 : vector<2xf32> -> f32
  %f = arm_simd.get_lane %lo, 1 : vector<2xf32> -> f32
  // CHECK-NEXT: %w = arm_simd.set_lane %f, %c, 0 : f32, vector<4xf32> -> vector<4xf32>
  %w = arm_simd.set_lane %f, %c, 0 : f32, vector<4xf32> -> vector<4xf32>
  // CHECK-NEXT: %t = arm_simd.set_lane %n, %s, 7 : i16, vector<8xi16> -> vector<8xi16>
  %t = arm_simd.set_lane %n, %s, 7 : i16, vector<8xi16> -> vector<8xi16>
  func.return %w, %t : vector<4xf32>, vector<8xi16>
}

// CHECK-LABEL: func.func @arithmetic
func.func @arithmetic(%a: vector<4xf32>, %b: vector<4xf32>, %i: vector<4xi32>, %h: vector<8xf16>) {
  // CHECK-NEXT: %0 = arm_simd.add %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
  %0 = arm_simd.add %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
  // CHECK-NEXT: %1 = arm_simd.sub %i, %i : vector<4xi32>, vector<4xi32> -> vector<4xi32>
  %1 = arm_simd.sub %i, %i : vector<4xi32>, vector<4xi32> -> vector<4xi32>
  // CHECK-NEXT: %2 = arm_simd.mul %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
  %2 = arm_simd.mul %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
  // CHECK-NEXT: %3 = arm_simd.max %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
  %3 = arm_simd.max %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
  // CHECK-NEXT: %4 = arm_simd.min %i, %i : vector<4xi32>, vector<4xi32> -> vector<4xi32>
  %4 = arm_simd.min %i, %i : vector<4xi32>, vector<4xi32> -> vector<4xi32>
  // CHECK-NEXT: %5 = arm_simd.neg %a : vector<4xf32> -> vector<4xf32>
  %5 = arm_simd.neg %a : vector<4xf32> -> vector<4xf32>
  // CHECK-NEXT: %6 = arm_simd.abs %i : vector<4xi32> -> vector<4xi32>
  %6 = arm_simd.abs %i : vector<4xi32> -> vector<4xi32>
  // CHECK-NEXT: %7 = arm_simd.fma %a, %b, %0 : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
  %7 = arm_simd.fma %a, %b, %0 : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
  // CHECK-NEXT: %8 = arm_simd.mla %a, %b, %0 : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
  %8 = arm_simd.mla %a, %b, %0 : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
  // CHECK-NEXT: %9 = arm_simd.add %h, %h : vector<8xf16>, vector<8xf16> -> vector<8xf16>
  %9 = arm_simd.add %h, %h : vector<8xf16>, vector<8xf16> -> vector<8xf16>
  // CHECK-NEXT: %10 = arm_simd.div %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
  %10 = arm_simd.div %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xf32>
  func.return
}

// CHECK-LABEL: func.func @compare_select
func.func @compare_select(%a: vector<4xf32>, %b: vector<4xf32>, %c: vector<16xi8>) -> vector<4xf32> {
  // CHECK-NEXT: %m = arm_simd.compare "ge", %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xui32>
  %m = arm_simd.compare "ge", %a, %b : vector<4xf32>, vector<4xf32> -> vector<4xui32>
  // CHECK-NEXT: %s = arm_simd.select %m, %a, %b : vector<4xui32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
  %s = arm_simd.select %m, %a, %b : vector<4xui32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
  // CHECK-NEXT: %n = arm_simd.compare "eq", %c, %c : vector<16xi8>, vector<16xi8> -> vector<16xui8>
  %n = arm_simd.compare "eq", %c, %c : vector<16xi8>, vector<16xi8> -> vector<16xui8>
  func.return %s : vector<4xf32>
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%a: vector<4xf32>, %d: vector<2xf32>, %i: vector<4xi32>) -> (f32, f32, i32, vector<2xf32>) {
  // CHECK-NEXT: %p = arm_simd.padd %d, %d : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  %p = arm_simd.padd %d, %d : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  // CHECK-NEXT: %px = arm_simd.pmax %p, %d : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  %px = arm_simd.pmax %p, %d : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  // CHECK-NEXT: %pn = arm_simd.pmin %px, %d : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  %pn = arm_simd.pmin %px, %d : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  // CHECK-NEXT: %s = arm_simd.reduce_add %a : vector<4xf32> -> f32
  %s = arm_simd.reduce_add %a : vector<4xf32> -> f32
  // CHECK-NEXT: %m = arm_simd.reduce_max %a : vector<4xf32> -> f32
  %m = arm_simd.reduce_max %a : vector<4xf32> -> f32
  // CHECK-NEXT: %n = arm_simd.reduce_min %i : vector<4xi32> -> i32
  %n = arm_simd.reduce_min %i : vector<4xi32> -> i32
  func.return %s, %m, %n, %pn : f32, f32, i32, vector<2xf32>
}

// CHECK-LABEL: func.func @integers
func.func @integers(%f: vector<4xf32>, %i: vector<4xi32>, %a: vector<8xi8>, %acc: vector<8xi16>, %q: vector<16xi8>) {
  // CHECK-NEXT: %0 = arm_simd.convert %i : vector<4xi32> -> vector<4xf32>
  %0 = arm_simd.convert %i : vector<4xi32> -> vector<4xf32>
  // CHECK-NEXT: %1 = arm_simd.convert %f : vector<4xf32> -> vector<4xi32>
  %1 = arm_simd.convert %f : vector<4xf32> -> vector<4xi32>
  // CHECK-NEXT: %2 = arm_simd.mull %a, %a : vector<8xi8>, vector<8xi8> -> vector<8xi16>
  %2 = arm_simd.mull %a, %a : vector<8xi8>, vector<8xi8> -> vector<8xi16>
  // CHECK-NEXT: %3 = arm_simd.mlal %acc, %a, %a : vector<8xi16>, vector<8xi8>, vector<8xi8> -> vector<8xi16>
  %3 = arm_simd.mlal %acc, %a, %a : vector<8xi16>, vector<8xi8>, vector<8xi8> -> vector<8xi16>
  // CHECK-NEXT: %4 = arm_simd.sdot %i, %q, %q : vector<4xi32>, vector<16xi8>, vector<16xi8> -> vector<4xi32>
  %4 = arm_simd.sdot %i, %q, %q : vector<4xi32>, vector<16xi8>, vector<16xi8> -> vector<4xi32>
  // CHECK-NEXT: %5 = arm_simd.reinterpret %f : vector<4xf32> -> vector<4xi32>
  %5 = arm_simd.reinterpret %f : vector<4xf32> -> vector<4xi32>
  // CHECK-NEXT: %6 = arm_simd.shift_left %5, 23 : vector<4xi32> -> vector<4xi32>
  %6 = arm_simd.shift_left %5, 23 : vector<4xi32> -> vector<4xi32>
  // CHECK-NEXT: %7 = arm_simd.reinterpret %6 : vector<4xi32> -> vector<4xf32>
  %7 = arm_simd.reinterpret %6 : vector<4xi32> -> vector<4xf32>
  func.return
}
