// RUN: pelemay-opt %s -p 'pointwise-to-matmul{target=aarch64}' | filecheck %s
// RUN: pelemay-opt %s -p 'pointwise-to-matmul{target=aarch64},bufferize' | filecheck %s --check-prefix=VIEWS
// RUN: not pelemay-opt %s -p 'pointwise-to-matmul{target=riscv64}' 2>&1 | filecheck %s --check-prefix=NOVEC

// aarch64 has a 512 KiB L2. @large's filter (512 x 512 floats, 1 MiB) is
// more than half of it: the conv becomes a matmul over its 49 pixels, the
// bias an add, and the ReLU6 that alone reads the result moves before the
// final reshape (so the matmul kernel fuses it). @small's filter (256 KiB)
// and every conv that is not a plain 1x1 (3x3, strided, grouped) stay.

// CHECK-LABEL: func.func @large
// CHECK-NEXT:  %0 = ptensor.reshape %x : tensor<1x7x7x512xf32> -> tensor<49x512xf32>
// CHECK-NEXT:  %1 = ptensor.reshape %w : tensor<1x1x512x512xf32> -> tensor<512x512xf32>
// CHECK-NEXT:  %y.matmul = ptensor.matmul %0, %1 : tensor<49x512xf32>, tensor<512x512xf32> -> tensor<49x512xf32>
// CHECK-NEXT:  %y.flat = ptensor.add %y.matmul, %b : tensor<49x512xf32>, tensor<512xf32> -> tensor<49x512xf32>
// CHECK-NEXT:  %r.flat = ptensor.relu6 %y.flat : tensor<49x512xf32>
// CHECK-NEXT:  %r = ptensor.reshape %r.flat : tensor<49x512xf32> -> tensor<1x7x7x512xf32>
// CHECK-NEXT:  func.return %r
// CHECK-LABEL: func.func @shared
// CHECK:       %y = ptensor.reshape %y.matmul : tensor<49x512xf32> -> tensor<1x7x7x512xf32>
// CHECK-NEXT:  %r = ptensor.relu6 %y : tensor<1x7x7x512xf32>
// CHECK-NEXT:  %s = ptensor.add %r, %y
// CHECK-LABEL: func.func @small
// CHECK-NOT:   ptensor.matmul
// CHECK-LABEL: func.func @not_pointwise
// CHECK-NOT:   ptensor.matmul
// CHECK:       func.return

// After bufferize the reshapes are views: no copy, no buffer of their own.
// VIEWS-LABEL: func.func @large
// VIEWS-NOT:   pbuf.copy
// VIEWS:       pbuf.reshape %x : memref<1x7x7x512xf32> -> memref<49x512xf32>
// VIEWS:       pbuf.matmul

// NOVEC: error: pointwise-to-matmul: target 'riscv64' has no vector unit

func.func @large(%x: tensor<1x7x7x512xf32>, %w: tensor<1x1x512x512xf32>, %b: tensor<512xf32>) -> tensor<1x7x7x512xf32> {
    %y = ptensor.conv2d %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x512xf32>, tensor<1x1x512x512xf32>, tensor<512xf32> -> tensor<1x7x7x512xf32>
    %r = ptensor.relu6 %y : tensor<1x7x7x512xf32>
    func.return %r : tensor<1x7x7x512xf32>
}

func.func @shared(%x: tensor<1x7x7x512xf32>, %w: tensor<1x1x512x512xf32>) -> tensor<1x7x7x512xf32> {
    %y = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x512xf32>, tensor<1x1x512x512xf32> -> tensor<1x7x7x512xf32>
    %r = ptensor.relu6 %y : tensor<1x7x7x512xf32>
    %s = ptensor.add %r, %y : tensor<1x7x7x512xf32>, tensor<1x7x7x512xf32> -> tensor<1x7x7x512xf32>
    func.return %s : tensor<1x7x7x512xf32>
}

func.func @small(%x: tensor<1x14x14x256xf32>, %w: tensor<1x1x256x256xf32>) -> tensor<1x14x14x256xf32> {
    %y = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x256xf32>, tensor<1x1x256x256xf32> -> tensor<1x14x14x256xf32>
    func.return %y : tensor<1x14x14x256xf32>
}

func.func @not_pointwise(%x: tensor<1x8x8x512xf32>, %w3: tensor<3x3x512x512xf32>, %w1: tensor<1x1x512x512xf32>, %wg: tensor<1x1x256x512xf32>) -> (tensor<1x6x6x512xf32>, tensor<1x4x4x512xf32>, tensor<1x8x8x512xf32>) {
    %a = ptensor.conv2d %x, %w3 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x8x8x512xf32>, tensor<3x3x512x512xf32> -> tensor<1x6x6x512xf32>
    %b = ptensor.conv2d %x, %w1 {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x8x8x512xf32>, tensor<1x1x512x512xf32> -> tensor<1x4x4x512xf32>
    %c = ptensor.conv2d %x, %wg {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 2 : i64} : tensor<1x8x8x512xf32>, tensor<1x1x256x512xf32> -> tensor<1x8x8x512xf32>
    func.return %a, %b, %c : tensor<1x6x6x512xf32>, tensor<1x4x4x512xf32>, tensor<1x8x8x512xf32>
}

// The chained value may be either operand of a binary op.
// CHECK-LABEL: func.func @bias_first
// CHECK:       %y.matmul = ptensor.matmul
// CHECK-NEXT:  %s.flat = ptensor.sub %b, %y.matmul : tensor<512xf32>, tensor<49x512xf32> -> tensor<49x512xf32>
// CHECK-NEXT:  %s = ptensor.reshape %s.flat : tensor<49x512xf32> -> tensor<1x7x7x512xf32>
func.func @bias_first(%x: tensor<1x7x7x512xf32>, %w: tensor<1x1x512x512xf32>, %b: tensor<512xf32>) -> tensor<1x7x7x512xf32> {
    %y = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x512xf32>, tensor<1x1x512x512xf32> -> tensor<1x7x7x512xf32>
    %s = ptensor.sub %b, %y : tensor<512xf32>, tensor<1x7x7x512xf32> -> tensor<1x7x7x512xf32>
    func.return %s : tensor<1x7x7x512xf32>
}
