// verify-arm-simd rejects the first op its target lacks, at the op's position.
// Errors (stderr) and the accepted functions (stdout) are checked apart.
// RUN: not pelemay-opt %s --split-input-file -p 'verify-arm-simd{target=armv7-a8}' 2>&1 >/dev/null | filecheck %s --check-prefix=A8
// RUN: not pelemay-opt %s --split-input-file -p 'verify-arm-simd{target=armv7-a8}' 2>/dev/null | filecheck %s --check-prefix=A8-OK
// RUN: not pelemay-opt %s --split-input-file -p 'verify-arm-simd{target=armv7}' 2>&1 >/dev/null | filecheck %s --check-prefix=V7
// RUN: not pelemay-opt %s --split-input-file -p 'verify-arm-simd{target=armv7}' 2>/dev/null | filecheck %s --check-prefix=V7-OK
// RUN: not pelemay-opt %s --split-input-file -p 'verify-arm-simd{target=aarch64}' 2>&1 >/dev/null | filecheck %s --check-prefix=A64
// RUN: not pelemay-opt %s --split-input-file -p 'verify-arm-simd{target=aarch64}' 2>/dev/null | filecheck %s --check-prefix=A64-OK
// RUN: pelemay-opt %s --split-input-file -p 'verify-arm-simd{target=aarch64-dotprod}' | filecheck %s --check-prefix=DOT
// RUN: not pelemay-opt %s --split-input-file -p 'verify-arm-simd{target=riscv64}' 2>&1 >/dev/null | filecheck %s --check-prefix=RV
// RUN: not pelemay-opt %s -p 'verify-arm-simd{target=armv9}' 2>&1 | filecheck %s --check-prefix=BAD

// BAD: error: verify-arm-simd: unknown target 'armv9'; valid targets: host, aarch64, aarch64-dotprod, armv7, armv7-a8, riscv64, cortex-m4

// Everything here is on every NEON machine; riscv64 has no NEON at all.
// A8-OK-LABEL: func.func @everywhere
// V7-OK-LABEL: func.func @everywhere
// A64-OK-LABEL: func.func @everywhere
// DOT-LABEL: func.func @everywhere
// RV: availability.mlir:[[# @LINE + 2]]:3: error: 'arm_simd.mla' (vmlaq_f32) is not available on target 'riscv64'; machines that have it: aarch64, aarch64-dotprod, armv7, armv7-a8
func.func @everywhere(%a: vector<4xf32>, %d: vector<2xf32>, %b: vector<8xi8>) {
  %0 = arm_simd.mla %a, %a, %a : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
  %1 = arm_simd.padd %d, %d : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  %2 = arm_simd.mull %b, %b : vector<8xi8>, vector<8xi8> -> vector<8xi16>
  %3 = arm_simd.pmax %d, %d : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  %4 = arm_simd.pmin %3, %d : vector<2xf32>, vector<2xf32> -> vector<2xf32>
  %5 = arm_simd.get_lane %4, 1 : vector<2xf32> -> f32
  %6 = arm_simd.set_lane %5, %a, 3 : f32, vector<4xf32> -> vector<4xf32>
  func.return
}

// -----

// Fused multiply-add needs VFPv4: armv7 has it, armv7-a8 does not.
// A8: availability.mlir:[[# @LINE + 6]]:3: error: 'arm_simd.fma' (vfmaq_f32) is not available on target 'armv7-a8'; machines that have it: aarch64, aarch64-dotprod, armv7
// A8-OK-NOT: @fused
// V7-OK-LABEL: func.func @fused
// V7-OK: arm_simd.fma
// A64-OK-LABEL: func.func @fused
func.func @fused(%a: vector<4xf32>) -> vector<4xf32> {
  %0 = arm_simd.fma %a, %a, %a : vector<4xf32>, vector<4xf32>, vector<4xf32> -> vector<4xf32>
  func.return %0 : vector<4xf32>
}

// -----

// Across-vector reductions and division are A64 only.
// A64-OK-LABEL: func.func @across
// V7-OK-NOT: @across
// V7: availability.mlir:[[# @LINE + 2]]:3: error: 'arm_simd.reduce_add' (vaddvq_f32) is not available on target 'armv7'; machines that have it: aarch64, aarch64-dotprod
func.func @across(%a: vector<4xf32>) -> f32 {
  %0 = arm_simd.reduce_add %a : vector<4xf32> -> f32
  func.return %0 : f32
}

// -----

// A64-OK-LABEL: func.func @divide
// A64-OK: arm_simd.div
// V7-OK-NOT: @divide
// V7: availability.mlir:[[# @LINE + 2]]:3: error: 'arm_simd.div' (vdivq_f32) is not available on target 'armv7'; machines that have it: aarch64, aarch64-dotprod
func.func @divide(%a: vector<4xf32>) -> vector<4xf32> {
  %0 = arm_simd.div %a, %a : vector<4xf32>, vector<4xf32> -> vector<4xf32>
  func.return %0 : vector<4xf32>
}

// -----

// The dot product and f16 arithmetic are ARMv8.2: aarch64-dotprod only.
// A64: availability.mlir:[[# @LINE + 5]]:3: error: 'arm_simd.sdot' (vdotq_s32) is not available on target 'aarch64'; machines that have it: aarch64-dotprod
// A64-OK-NOT: @dot
// DOT-LABEL: func.func @dot
// DOT: arm_simd.sdot
func.func @dot(%acc: vector<4xi32>, %a: vector<16xi8>, %h: vector<8xf16>) -> vector<4xi32> {
  %0 = arm_simd.sdot %acc, %a, %a : vector<4xi32>, vector<16xi8>, vector<16xi8> -> vector<4xi32>
  // DOT: arm_simd.add %h, %h : vector<8xf16>
  %1 = arm_simd.add %h, %h : vector<8xf16>, vector<8xf16> -> vector<8xf16>
  func.return %0 : vector<4xi32>
}

// -----

// A8: availability.mlir:[[# @LINE + 6]]:3: error: 'arm_simd.add' (vaddq_f16) is not available on target 'armv7-a8'; machines that have it: aarch64-dotprod
// DOT-LABEL: func.func @half
// A8-OK-NOT: @half
// V7-OK-NOT: @half
// A64-OK-NOT: @half
func.func @half(%h: vector<8xf16>) -> vector<8xf16> {
  %0 = arm_simd.add %h, %h : vector<8xf16>, vector<8xf16> -> vector<8xf16>
  func.return %0 : vector<8xf16>
}
