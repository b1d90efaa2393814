// RUN: pelemay-opt %s --split-input-file -p convert-pbuf-to-loops --print-debuginfo | filecheck %s
// RUN: pelemay-opt %s --split-input-file -p 'convert-pbuf-to-loops{weights=external}' --print-debuginfo | filecheck %s --check-prefix=EXT

// A planned program: the arena becomes the last argument, views become
// memref.view at the same byte offsets, every op one loop nest whose outer
// loop names the op and carries its position. f16 is loaded, extended to f32
// and computed in f32; sums are carried in iter_args.

// CHECK:       "memref.global"() <{sym_name = "layer_w", type = memref<3xf32>, initial_value = dense<[1.000000e+00, 2.500000e+00, -3.000000e+00]> : tensor<3xf32>, sym_visibility = "private", constant}>
// CHECK-LABEL: func.func @net(
// CHECK-SAME:    %x: memref<2x3xf16>
// CHECK-SAME:    %out: memref<3xf32> {pbuf.output = 0 : i64}
// CHECK-SAME:    %arena: memref<32xi8>
// CHECK-SAME:    attributes {pelemay.entry, pelemay.num_inputs = 1 : i64, pelemay.arena_bytes = 32 : i64, pelemay.arena_align = 16 : i64}
// CHECK:         %w = memref.get_global @layer_w : memref<3xf32>
// CHECK:         %t = memref.view %arena[%{{.*}}][] : memref<32xi8> to memref<2x3xf32> loc("{{.*}}convert-pbuf-to-loops.mlir":{{[0-9]+}}:5)
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             %[[H:.*]] = memref.load %x[%{{.*}}, %{{.*}}] : memref<2x3xf16>
// CHECK-NEXT:        %[[F:.*]] = arith.extf %[[H]] : f16 to f32
// CHECK-NEXT:        memref.store %[[F]], %t[%{{.*}}, %{{.*}}] : memref<2x3xf32>
// CHECK:         } {pelemay.source = "ptensor.cast"} loc("{{.*}}convert-pbuf-to-loops.mlir":{{[0-9]+}}:5)
// CHECK:         %s = memref.view %arena[%{{.*}}][] : memref<32xi8> to memref<3xf32>
// CHECK:         scf.for
// CHECK:           scf.for {{.*}} iter_args
// CHECK:             arith.addf
// CHECK:             scf.yield
// CHECK:         } {pelemay.source = "ptensor.reduce_sum"}
// CHECK:         scf.for
// CHECK:           arith.mulf
// CHECK:           memref.store {{.*}}, %out
// CHECK:         } {pelemay.source = "ptensor.mul"}
// CHECK:         func.return

// With weights=external the first argument is the weights file and each
// weight is a view of it at its file offset; no globals are made.

// EXT-LABEL: func.func @net(%weights: memref<76xi8>
// EXT-SAME:    attributes {pelemay.entry, {{.*}}pelemay.weights_arg, pelemay.weights_bytes = 76 : i64}
// EXT-NOT:     memref.global
// EXT:         %[[OFF:.*]] = arith.constant 64 : index
// EXT:         %w = memref.view %weights[%[[OFF]]][] : memref<76xi8> to memref<3xf32>

builtin.module attributes {ptensor.weights = "Inputs/convert-pbuf-to-loops.weights"} {
  func.func @net(%x: memref<2x3xf16>, %out: memref<3xf32> {pbuf.output = 0 : i64}) {
    %arena = pbuf.arena {size = 32 : i64, alignment = 16 : i64} : memref<32xi8>
    %w = pbuf.weight "layer.w" at 64 : memref<3xf32>
    %t = pbuf.view %arena[0] {name = "t"} : memref<32xi8> -> memref<2x3xf32>
    pbuf.cast %x, %t : memref<2x3xf16>, memref<2x3xf32>
    %s = pbuf.view %arena[16] {name = "s"} : memref<32xi8> -> memref<3xf32>
    pbuf.reduce_sum %t, %s {axes = array<i64: 0>} : memref<2x3xf32>, memref<3xf32>
    pbuf.mul %s, %w, %out : memref<3xf32>, memref<3xf32>, memref<3xf32>
    func.return
  }
}

// -----

// Reshapes: of an arena buffer, a view at the same offset; of an argument,
// memref.reinterpret_cast (the same pointer). With no intermediates there is
// no arena argument. A constant becomes a private memref.global.

// CHECK:       "memref.global"() <{sym_name = "c", type = memref<3xi8>, initial_value = dense<[1, -2, 127]> : tensor<3xi8>, sym_visibility = "private", constant}>
// CHECK-LABEL: func.func @shapes(
// CHECK-SAME:    %x: memref<2x3xi8>
// CHECK-SAME:    %out: memref<6xi8> {pbuf.output = 0 : i64}
// CHECK-NOT:     %arena
// CHECK-SAME:    pelemay.arena_bytes = 0 : i64
// CHECK:         %c = memref.get_global @c : memref<3xi8>
// CHECK:         %v = memref.reinterpret_cast %out to offset: [0], sizes: [2, 3], strides: [3, 1] : memref<6xi8> to memref<2x3xi8>
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             arith.addi {{.*}} : i8
// CHECK:         } {pelemay.source = "ptensor.add"}

builtin.module {
  func.func @shapes(%x: memref<2x3xi8>, %out: memref<6xi8> {pbuf.output = 0 : i64}) {
    %arena = pbuf.arena {size = 0 : i64, alignment = 16 : i64} : memref<0xi8>
    %c = pbuf.constant dense<[1, -2, 127]> : tensor<3xi8>
    %v = pbuf.reshape %out : memref<6xi8> -> memref<2x3xi8>
    pbuf.add %x, %c, %v : memref<2x3xi8>, memref<3xi8>, memref<2x3xi8>
    func.return
  }
}
