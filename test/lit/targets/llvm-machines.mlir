// RUN: pelemay-opt %s -t 'llvm{target=aarch64}' | filecheck %s --check-prefix=A53
// RUN: pelemay-opt %s -t 'llvm{target=aarch64-dotprod}' | filecheck %s --check-prefix=A55
// RUN: pelemay-opt %s -t 'llvm{target=armv7}' | filecheck %s --check-prefix=A7
// RUN: pelemay-opt %s -t 'llvm{target=armv7-a8}' | filecheck %s --check-prefix=A8
// RUN: pelemay-opt %s -t 'llvm{target=riscv64}' | filecheck %s --check-prefix=RV
// RUN: pelemay-opt %s -t 'llvm{target=cortex-m4}' | filecheck %s --check-prefix=M4
// RUN: not pelemay-opt %s -t 'llvm{target=vax}' 2>&1 | filecheck %s --check-prefix=BAD

// One machine vocabulary: each name gives its triple, CPU and features, and
// `index` is the pointer width.
// A53: target triple = "aarch64-unknown-linux-gnu"
// A53: %i{{[0-9]+}} = phi i64
// A53: "target-cpu"="cortex-a53" "target-features"="+v8a,+neon,+fp-armv8,+crc,-crypto,-aes,-sha2"
// A55: "target-cpu"="cortex-a55" "target-features"="{{.*}}+dotprod
// A7:  target triple = "armv7-unknown-linux-gnueabihf"
// A7:  %i{{[0-9]+}} = phi i32
// A7:  "target-cpu"="cortex-a7" "target-features"="+armv7-a,+neon,+vfp4,
// A8:  "target-cpu"="cortex-a8" "target-features"="+armv7-a,+neon,+vfp3,+d32,+dsp,-vfp4,
// RV:  target triple = "riscv64-unknown-linux-gnu"
// RV:  "target-cpu"="generic-rv64" "target-features"="+64bit,+m,+a,+f,+d,+c"
// RV:  !llvm.module.flags = !{!0}
// RV:  !0 = !{i32 1, !"target-abi", !"lp64d"}
// M4:  target triple = "thumbv7em-none-unknown-eabihf"
// M4:  "target-cpu"="cortex-m4" "target-features"="+armv7e-m,+thumb-mode,+dsp,+hwdiv,+vfp4d16sp,
// BAD: error: unknown target 'vax'; valid machines: host, aarch64, aarch64-dotprod, armv7, armv7-a8, riscv64, cortex-m4

func.func @scale(%x: memref<4xf32>, %y: memref<4xf32>) attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %k = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %x[%i] : memref<4xf32>
    %m = arith.mulf %v, %k : f32
    memref.store %m, %y[%i] : memref<4xf32>
  }
  func.return
}
