// Type errors of arm_simd ops: each names the operand or result at fault and the type expected.
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s

func.func @f(%a: vector<4xf32>, %i: vector<4xi32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.add' op rhs has type vector<4xi32>; expected vector<4xf32>
  %0 = arm_simd.add %a, %i : vector<4xf32>, vector<4xi32> -> vector<4xf32>
  func.return
}

// -----

func.func @f(%a: vector<4xf64>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.add' op lhs has type vector<4xf64>; expected one of vector<4xf32>, vector<4xi32>, vector<8xi16>, vector<16xi8>, vector<8xf16>
  %0 = arm_simd.add %a, %a : vector<4xf64>, vector<4xf64> -> vector<4xf64>
  func.return
}

// -----

func.func @f(%a: vector<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.add' op result has type vector<4xi32>; expected vector<4xf32>
  %0 = arm_simd.add %a, %a : vector<4xf32>, vector<4xf32> -> vector<4xi32>
  func.return
}

// -----

func.func @f(%a: tensor<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.neg' op expected a vector type, got tensor<4xf32>
  %0 = arm_simd.neg %a : tensor<4xf32> -> tensor<4xf32>
  func.return
}

// -----

func.func @f(%a: vector<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.compare' op result has type vector<4xi32>; expected vector<4xui32>
  %0 = arm_simd.compare "eq", %a, %a : vector<4xf32>, vector<4xf32> -> vector<4xi32>
  func.return
}

// -----

func.func @f(%a: vector<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.compare' op unknown predicate 'ne'; expected one of eq, ge, gt, le, lt
  %0 = arm_simd.compare "ne", %a, %a : vector<4xf32>, vector<4xf32> -> vector<4xui32>
  func.return
}

// -----

func.func @f(%m: memref<16xi32>, %i: index) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.load' op memref has element type i32; expected f32, the vector's
  %0 = arm_simd.load %m[%i] : memref<16xi32> -> vector<4xf32>
  func.return
}

// -----

func.func @f(%m: memref<4x16xf32>, %i: index) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.load' op expects 2 indices for a rank-2 memref, got 1
  %0 = arm_simd.load %m[%i] : memref<4x16xf32> -> vector<4xf32>
  func.return
}

// -----

func.func @f(%m: memref<16xf32>, %i: index, %v: vector<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.load_lane' op lane 4 is out of range for vector<4xf32> (0..3)
  %0 = arm_simd.load_lane %m[%i], %v, 4 : memref<16xf32>, vector<4xf32> -> vector<4xf32>
  func.return
}

// -----

func.func @f(%x: f16) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.dup' op value has type f16; expected f32
  %0 = arm_simd.dup %x : f16 -> vector<4xf32>
  func.return
}

// -----

func.func @f(%a: vector<4xf32>, %m: vector<4xui16>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.select' op mask has type vector<4xui16>; expected vector<4xui32>
  %0 = arm_simd.select %m, %a, %a : vector<4xui16>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
  func.return
}

// -----

func.func @f(%a: vector<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.reduce_add' op result has type f16; expected f32
  %0 = arm_simd.reduce_add %a : vector<4xf32> -> f16
  func.return
}

// -----

func.func @f(%a: vector<16xi8>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.mull' op lhs has type vector<16xi8>; expected one of vector<8xi8>, vector<4xi16>
  %0 = arm_simd.mull %a, %a : vector<16xi8>, vector<16xi8> -> vector<16xi16>
  func.return
}

// -----

func.func @f(%acc: vector<8xi16>, %a: vector<8xi8>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.mlal' op result has type vector<4xi32>; expected vector<8xi16>
  %0 = arm_simd.mlal %acc, %a, %a : vector<8xi16>, vector<8xi8>, vector<8xi8> -> vector<4xi32>
  func.return
}

// -----

func.func @f(%acc: vector<8xi16>, %a: vector<16xi8>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.sdot' op acc has type vector<8xi16>; expected vector<4xi32>
  %0 = arm_simd.sdot %acc, %a, %a : vector<8xi16>, vector<16xi8>, vector<16xi8> -> vector<4xi32>
  func.return
}

// -----

func.func @f(%a: vector<4xf32>) {
  %0 = arm_simd.fma %a, %a, %a : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.mla' op result has type vector<4xf16>; expected vector<4xf32>
  %1 = arm_simd.mla %0, %a, %a : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf16>
  func.return
}

// -----

func.func @f(%a: vector<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.convert' op result has type vector<4xf32>; expected vector<4xi32>
  %0 = arm_simd.convert %a : vector<4xf32> -> vector<4xf32>
  func.return
}

// -----

func.func @f(%a: vector<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.reinterpret' op result has type vector<4xf32>; expected vector<4xi32>
  %0 = arm_simd.reinterpret %a : vector<4xf32> -> vector<4xf32>
  func.return
}

// -----

func.func @f(%a: vector<4xi32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.shift_left' op shift amount 32 is out of range for vector<4xi32> (0..31)
  %0 = arm_simd.shift_left %a, 32 : vector<4xi32> -> vector<4xi32>
  func.return
}

// -----

func.func @f(%a: vector<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.shift_left' op input has type vector<4xf32>; expected one of vector<4xi32>, vector<8xi16>, vector<16xi8>
  %0 = arm_simd.shift_left %a, 1 : vector<4xf32> -> vector<4xf32>
  func.return
}

// -----

func.func @f(%a: vector<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.padd' op lhs has type vector<4xf32>; expected one of vector<2xf32>, vector<2xi32>, vector<4xi16>, vector<8xi8>
  %0 = arm_simd.padd %a, %a : vector<4xf32>, vector<4xf32> -> vector<4xf32>
  func.return
}

// -----

func.func @f(%a: vector<2xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.combine' op result has type vector<8xf16>; expected one of vector<4xf32>, vector<4xi32>, vector<8xi16>, vector<16xi8>
  %0 = arm_simd.combine %a, %a : vector<2xf32>, vector<2xf32> -> vector<8xf16>
  func.return
}

// -----

func.func @f(%a: vector<8xf16>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.get_low' op input has type vector<8xf16>; expected one of vector<4xf32>, vector<4xi32>, vector<8xi16>, vector<16xi8>
  %0 = arm_simd.get_low %a : vector<8xf16> -> vector<4xf16>
  func.return
}

// -----

func.func @f(%a: vector<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.add' op Expected 2 operands, but got 1
  %0 = "arm_simd.add"(%a) : (vector<4xf32>) -> vector<4xf32>
  func.return
}

// -----

func.func @f(%a: vector<2xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.get_lane' op lane 2 is out of range for vector<2xf32> (0..1)
  %0 = arm_simd.get_lane %a, 2 : vector<2xf32> -> f32
  func.return
}

// -----

func.func @f(%a: vector<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.get_lane' op result has type f16; expected f32
  %0 = arm_simd.get_lane %a, 0 : vector<4xf32> -> f16
  func.return
}

// -----

func.func @f(%a: vector<4xf32>, %x: i32) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.set_lane' op value has type i32; expected f32
  %0 = arm_simd.set_lane %x, %a, 0 : i32, vector<4xf32> -> vector<4xf32>
  func.return
}

// -----

func.func @f(%a: vector<4xf32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.pmax' op lhs has type vector<4xf32>; expected one of vector<2xf32>, vector<2xi32>, vector<4xi16>, vector<8xi8>
  %0 = arm_simd.pmax %a, %a : vector<4xf32>, vector<4xf32> -> vector<4xf32>
  func.return
}

// -----

func.func @f(%a: vector<4xi32>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.div' op lhs has type vector<4xi32>; expected one of vector<4xf32>, vector<8xf16>
  %0 = arm_simd.div %a, %a : vector<4xi32>, vector<4xi32> -> vector<4xi32>
  func.return
}

// -----

func.func @f(%m: memref<16xf32>, %i: index) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.load2' op odd has type vector<8xi16>; expected vector<4xf32>
  %0, %1 = arm_simd.load2 %m[%i] : memref<16xf32> -> vector<4xf32>, vector<8xi16>
  func.return
}

// -----

func.func @f(%m: memref<16xf16>, %i: index, %v: vector<8xf16>) {
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'arm_simd.store2' op even has type vector<8xf16>; expected one of vector<4xf32>, vector<4xi32>, vector<8xi16>, vector<16xi8>
  arm_simd.store2 %v, %v, %m[%i] : vector<8xf16>, vector<8xf16>, memref<16xf16>
  func.return
}
