// RUN: pelemay-opt %s -p 'bufferize,plan-memory,vectorize{target=armv7}' | filecheck %s
// RUN: pelemay-opt %s -p 'pelemay-to-c{target=armv7}' -t c | filecheck %s --check-prefix=NEON
// RUN: pelemay-opt %s -p 'pelemay-to-c{target=armv7-a8}' -t c | filecheck %s --check-prefix=A8
// RUN: not pelemay-opt %s -p 'bufferize,plan-memory,vectorize{target=riscv64}' 2>&1 | filecheck %s --check-prefix=NOVEC

// A 2x6 matmul on 4-lane vectors: a 2x1 register block of vector<4xf32>
// over columns 0-3, then one more over columns 2-5 for the tail 4-5 (it
// stores 2-3 again, with the same values): no scalar column. Each step
// loads four elements of each row of x and uses them lane by lane, which
// NEON prints as multiply-add by lane (vmlaq_lane_f32 on ARMv7). The bias
// add and relu are applied in registers before the store; their buffer is gone.

// CHECK:      scf.for
// CHECK:        %{{.*}}, %{{.*}} = scf.for {{.*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>) {
// CHECK-NEXT:     %{{.*}} = vector.load %x[{{.*}}] : memref<2x8xf32>, vector<4xf32>
// CHECK:          %{{.*}} = vector.load %w[{{.*}}] : memref<8x6xf32>, vector<4xf32>
// CHECK-NEXT:     %{{.*}} = vector.extract %{{.*}}[0] : f32 from vector<4xf32>
// CHECK-NEXT:     %{{.*}} = vector.broadcast %{{.*}} : f32 to vector<4xf32>
// CHECK-NEXT:     %{{.*}} = vector.fma
// CHECK:        %{{.*}} = vector.load %b[{{.*}}] : memref<6xf32>, vector<4xf32>
// CHECK-NEXT:   %{{.*}} = arith.addf {{.*}} : vector<4xf32>
// CHECK-NEXT:   %{{.*}} = arith.maximumf {{.*}} : vector<4xf32>
// CHECK-NEXT:   vector.store %{{.*}}, %out[{{.*}}] : memref<2x6xf32>, vector<4xf32>
// CHECK:        vector.store %{{.*}}, %out[{{.*}}] : memref<2x6xf32>, vector<4xf32>
// CHECK-NOT:    memref.store
// CHECK:      } {pelemay.source = "ptensor.matmul+ptensor.add+ptensor.relu"}
// CHECK-NOT:  pbuf.

// NEON: #include <arm_neon.h>
// NEON: vmlaq_lane_f32(
// NEON: vmaxq_f32(
// A8-NOT: vfmaq_f32
// A8: vmlaq_lane_f32(

// NOVEC: error: vectorize: target 'riscv64' has no vector unit to generate code for

func.func @dense(%x: tensor<2x8xf32>, %w: tensor<8x6xf32>, %b: tensor<6xf32>) -> tensor<2x6xf32> {
    %h = ptensor.matmul %x, %w : tensor<2x8xf32>, tensor<8x6xf32> -> tensor<2x6xf32>
    %y = ptensor.add %h, %b : tensor<2x6xf32>, tensor<6xf32> -> tensor<2x6xf32>
    %r = ptensor.relu %y : tensor<2x6xf32>
    func.return %r : tensor<2x6xf32>
}
