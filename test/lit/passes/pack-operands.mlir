// RUN: pelemay-opt %s -p 'bufferize,pack-operands{target=aarch64}' | filecheck %s
// RUN: pelemay-opt %s -p 'bufferize,pack-operands{target=aarch64},plan-memory,verify-memory-plan' | filecheck %s --check-prefix=PLAN
// RUN: pelemay-opt %s -p 'bufferize,pack-operands{target=aarch64},plan-memory,vectorize{target=aarch64}' | filecheck %s --check-prefix=KERNEL
// RUN: pelemay-opt %s -p 'bufferize,pack-operands{target=aarch64 force=true}' | filecheck %s --check-prefix=FORCE
// RUN: not pelemay-opt %s -p 'bufferize,pack-operands{target=riscv64}' 2>&1 | filecheck %s --check-prefix=NOVEC

// aarch64: 4-lane vectors, an 8 x 8 register block (8 rows x 2 vectors,
// multiplied by lane), a 512 KiB L2. In @wide, B's rows are 1024 floats
// (4 KiB) apart and 12 row blocks sweep them: its panels of 128 columns
// (K x 128 floats = half the L2) are packed into one scratch of 16 blocks of
// 512 rows x 8 columns, an eighth of B. In @narrow, B's rows do not alias:
// it is read in place, unless packing is forced.

// CHECK-LABEL: func.func @wide
// CHECK:       %out.packed_b = pbuf.alloc {name = "out.packed_b"} : memref<16x512x8xf32>
// CHECK-NEXT:  pbuf.packed_matmul %x, %w, %out.packed_b, %out : memref<96x512xf32>, memref<512x1024xf32>, memref<16x512x8xf32>, memref<96x1024xf32>
// CHECK-LABEL: func.func @narrow
// CHECK-NOT:   pbuf.packed_matmul
// CHECK:       pbuf.matmul

// The scratch is the arena's one buffer: the matmul, its bias add and its
// relu write the result in place.
// PLAN-LABEL: func.func @wide
// PLAN:       pbuf.arena {size = 262144 : i64
// PLAN-NEXT:  %out.packed_b = pbuf.view %arena[0] {name = "out.packed_b"} : memref<262144xi8> -> memref<16x512x8xf32>
// PLAN-NEXT:  pbuf.packed_matmul %x, %w, %out.packed_b, %out

// The panel loop packs B row by row, block by block, then every row block
// streams the packed block.
// KERNEL-LABEL: func.func @wide
// KERNEL:       scf.for %[[JC:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// KERNEL:         %[[ROW:.*]] = vector.load %w[{{.*}}] : memref<512x1024xf32>, vector<4xf32>
// KERNEL-NEXT:    vector.store %[[ROW]], %{{.*}}[{{.*}}] : memref<16x512x8xf32>, vector<4xf32>
// KERNEL:         vector.load %{{.*}}[{{.*}}] : memref<16x512x8xf32>, vector<4xf32>
// KERNEL:         vector.fma
// KERNEL:       } {pelemay.source = "ptensor.matmul+ptensor.add+ptensor.relu"}

// FORCE-LABEL: func.func @narrow
// FORCE:       %out.packed_b = pbuf.alloc {name = "out.packed_b"} : memref<10x784x8xf32>
// FORCE-NEXT:  pbuf.packed_matmul %x, %w, %out.packed_b, %out

// NOVEC: error: pack-operands: target 'riscv64' has no vector unit

func.func @wide(%x: tensor<96x512xf32>, %w: tensor<512x1024xf32>, %b: tensor<1024xf32>) -> tensor<96x1024xf32> {
    %h = ptensor.matmul %x, %w : tensor<96x512xf32>, tensor<512x1024xf32> -> tensor<96x1024xf32>
    %y = ptensor.add %h, %b : tensor<96x1024xf32>, tensor<1024xf32> -> tensor<96x1024xf32>
    %r = ptensor.relu %y : tensor<96x1024xf32>
    func.return %r : tensor<96x1024xf32>
}

func.func @narrow(%x: tensor<64x784xf32>, %w: tensor<784x256xf32>) -> tensor<64x256xf32> {
    %g = ptensor.matmul %x, %w : tensor<64x784xf32>, tensor<784x256xf32> -> tensor<64x256xf32>
    func.return %g : tensor<64x256xf32>
}
