// Consecutive vectors of a row of B are one multi-register load: four
// (vld1q_f32_x4, one `ld1 {v0.4s-v3.4s}`) on AArch64, where the one-row
// product then goes four rows of B per step, by lane; two (vld1.32 of four D
// registers) on ARMv7, printed through a helper since GCC 12's AArch32
// arm_neon.h has no vld1q_f32_x2. The LLVM target prints them as one wide
// load split by shufflevectors.
// RUN: pelemay-opt %s -p 'pelemay-to-c{target=aarch64}' -t c | filecheck %s --check-prefix=A64
// RUN: pelemay-opt %s -p 'pelemay-to-c{target=armv7}' -t c | filecheck %s --check-prefix=V7
// RUN: pelemay-opt %s -p 'pelemay-to-c{target=armv7-a8}' -t c | filecheck %s --check-prefix=V7
// RUN: pelemay-opt %s -p 'pelemay-to-c{target=aarch64}' | filecheck %s --check-prefix=IR
// RUN: pelemay-opt %s -p 'pelemay-to-c{target=aarch64}' -t 'llvm{target=aarch64}' | filecheck %s --check-prefix=LLVM

// A64-NOT:    pl_vld1q_f32_x2
// A64:        for (ptrdiff_t [[K:i_[0-9]+]] = 0; [[K]] < 16; [[K]] += 4) {
// A64:          const float32x4_t [[A:v_[0-9]+]] = vld1q_f32(&x[{{.*}}[[K]]]);
// A64-NEXT:     const float32x4x4_t quad = vld1q_f32_x4(&w[[[K]] * 32 + {{.*}}]);
// A64:          const float32x4x4_t quad_1 = vld1q_f32_x4(&w[[[K]] * 32 + {{.*}}]);
// A64:          vgetq_lane_f32([[A]], 0)
// A64:          vfmaq_f32({{.*}}, quad.val[0])
// A64:          vfmaq_f32({{.*}}, quad_1.val[3])

// V7:         static inline float32x4x2_t pl_vld1q_f32_x2(const float32_t *p)
// V7:         __asm__("vld1.32 %h0, [%1]"
// V7:         for (ptrdiff_t [[K:i_[0-9]+]] = 0; [[K]] < 16; [[K]] += 1) {
// V7:           const float32x4x2_t pair = pl_vld1q_f32_x2(&w[[[K]] * 32 + {{.*}}]);
// V7-NOT:       vld1q_f32(&w[
// V7:           pair.val[1]

// IR:         arm_simd.load_x4 %w[%{{.*}}, %{{.*}}] : memref<16x32xf32> -> vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>
// IR-NOT:     arm_simd.load %w

// LLVM:       load <16 x float>, ptr
// LLVM-NEXT:  shufflevector <16 x float> %{{.*}}, <16 x float> poison, <4 x i32> <i32 0, i32 1, i32 2, i32 3>
// LLVM-NEXT:  shufflevector <16 x float> %{{.*}}, <16 x float> poison, <4 x i32> <i32 4, i32 5, i32 6, i32 7>

func.func @dense(%x: tensor<1x16xf32>, %w: tensor<16x32xf32>) -> tensor<1x32xf32> {
    %h = ptensor.matmul %x, %w : tensor<1x16xf32>, tensor<16x32xf32> -> tensor<1x32xf32>
    func.return %h : tensor<1x32xf32>
}
