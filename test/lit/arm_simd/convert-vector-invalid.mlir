// convert-vector-to-arm-simd refuses what NEON cannot take, at the op.
// RUN: not pelemay-opt %s --split-input-file -p 'convert-vector-to-arm-simd{target=armv7}' 2>&1 | filecheck %s
// RUN: not pelemay-opt %s --split-input-file -p 'convert-vector-to-arm-simd{target=riscv64}' 2>&1 | filecheck %s --check-prefix=RV
// RUN: not pelemay-opt %s -p 'convert-vector-to-arm-simd{target=armv9}' 2>&1 | filecheck %s --check-prefix=BAD

// BAD: error: unknown target 'armv9'; valid machines: host, aarch64, aarch64-dotprod, armv7, armv7-a8, riscv64, cortex-m4

func.func @wide(%m: memref<16xf32>, %i: index) {
  // CHECK: convert-vector-invalid.mlir:[[# @LINE + 2]]:3: error: 'vector.load' of vector<8xf32> has no NEON form on 'armv7'; NEON vectors hold 4 f32
  // RV: convert-vector-invalid.mlir:[[# @LINE + 1]]:3: error: 'vector.load' needs NEON, which target 'riscv64' lacks; NEON machines: aarch64, aarch64-dotprod, armv7, armv7-a8
  %v = vector.load %m[%i] : memref<16xf32>, vector<8xf32>
  func.return
}

// -----

func.func @double(%a: vector<4xf64>) {
  // CHECK: convert-vector-invalid.mlir:[[# @LINE + 1]]:3: error: 'arith.mulf' of vector<4xf64> has no NEON form on 'armv7'; NEON vectors hold 4 f32
  %0 = arith.mulf %a, %a : vector<4xf64>
  func.return
}

// -----

func.func @product(%a: vector<4xf32>) -> f32 {
  // CHECK: convert-vector-invalid.mlir:[[# @LINE + 1]]:3: error: 'vector.reduction' <mul> has no NEON form on 'armv7'; the vector level reduces with <add>, <maximumf>, <minimumf>
  %0 = vector.reduction <mul>, %a : vector<4xf32> into f32
  func.return %0 : f32
}

// -----

func.func @root(%a: vector<4xf32>) -> vector<4xf32> {
  // CHECK: convert-vector-invalid.mlir:[[# @LINE + 1]]:3: error: 'math.sqrt' on vectors is not in the portable vector op set; convert-vector-to-arm-simd takes vector.load, vector.store, vector.broadcast, vector.fma, vector.reduction, vector.extract (one constant lane), arith.addf, arith.subf, arith.mulf, arith.divf, arith.maximumf, arith.minimumf, arith.negf
  %0 = math.sqrt %a : vector<4xf32>
  func.return %0 : vector<4xf32>
}

// -----

func.func @shift_by_variable(%a: vector<4xi32>, %n: vector<4xi32>) -> vector<4xi32> {
  // CHECK: convert-vector-invalid.mlir:[[# @LINE + 2]]:3: error: 'arith.shli' has no NEON form on 'armv7' unless it shifts by a splat constant below 32
  // RV: convert-vector-invalid.mlir:[[# @LINE + 1]]:3: error: 'arith.shli' needs NEON, which target 'riscv64' lacks
  %0 = arith.shli %a, %n : vector<4xi32>
  func.return %0 : vector<4xi32>
}

// -----

func.func @not_a_deinterleave(%m: memref<16xf32>, %i: index) -> vector<4xf32> {
  // A vector<8xf32> load is load2 only when its even and odd lanes are all it gives.
  // CHECK: convert-vector-invalid.mlir:[[# @LINE + 1]]:3: error: 'vector.load' of vector<8xf32> has no NEON form on 'armv7'; NEON vectors hold 4 f32
  %w = vector.load %m[%i] : memref<16xf32>, vector<8xf32>
  %h = vector.shuffle %w, %w [0, 1, 2, 3] : vector<8xf32>, vector<8xf32>
  func.return %h : vector<4xf32>
}
