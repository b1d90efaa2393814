// conv2d (NHWC input, HWCF filter: strides, dilations, padding, groups, bias, i8) and pooling.
// RUN: pelemay-opt %s > %t.custom && filecheck %s --input-file %t.custom
// RUN: pelemay-opt %s --print-op-generic > %t.generic && filecheck %s --check-prefix=GENERIC --input-file %t.generic
// The generic form parses back to the same program.
// RUN: pelemay-opt %t.generic | diff %t.custom -

// CHECK-LABEL: func.func @conv2d
func.func @conv2d(%x: tensor<1x28x28x3xf32>, %w: tensor<3x3x3x8xf32>, %bias: tensor<8xf32>,
                  %dw: tensor<3x3x1x3xf32>, %gw: tensor<1x1x1x6xf32>,
                  %qx: tensor<1x8x8x4xi8>, %qw: tensor<1x1x4x2xi8>, %qb: tensor<2xi32>) {
  // CHECK-NEXT: ptensor.conv2d %{{.*}}, %{{.*}} {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32> -> tensor<1x26x26x8xf32>
  // GENERIC: "ptensor.conv2d"(%{{.*}}, %{{.*}}) <{strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64}> : (tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32>) -> tensor<1x26x26x8xf32>
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32> -> tensor<1x26x26x8xf32>
  // Stride 2 with "same" padding and a bias: (28 + 1 + 1 - 3) / 2 + 1 = 14.
  // CHECK-NEXT: ptensor.conv2d %{{.*}}, %{{.*}}, %{{.*}} {{{.*}}} : tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32>, tensor<8xf32> -> tensor<1x14x14x8xf32>
  // GENERIC: "ptensor.conv2d"(%{{.*}}, %{{.*}}, %{{.*}}) <{{{.*}}}> : (tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32>, tensor<8xf32>) -> tensor<1x14x14x8xf32>
  %1 = ptensor.conv2d %x, %w, %bias {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 1 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32>, tensor<8xf32> -> tensor<1x14x14x8xf32>
  // Dilation 2 widens the 3x3 window to 5x5: 28 - 5 + 1 = 24.
  // CHECK-NEXT: ptensor.conv2d {{.*}} -> tensor<1x24x24x8xf32>
  %2 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32> -> tensor<1x24x24x8xf32>
  // Depthwise: groups = input channels, one input channel per group.
  // CHECK-NEXT: ptensor.conv2d {{.*}}groups = 3 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x1x3xf32> -> tensor<1x26x26x3xf32>
  %3 = ptensor.conv2d %x, %dw {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 3 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x1x3xf32> -> tensor<1x26x26x3xf32>
  // Asymmetric padding (top, bottom, left, right) and strides.
  // CHECK-NEXT: ptensor.conv2d {{.*}} -> tensor<1x15x10x6xf32>
  %4 = ptensor.conv2d %x, %gw {strides = array<i64: 2, 3>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 2, 1, 0>, groups = 3 : i64} : tensor<1x28x28x3xf32>, tensor<1x1x1x6xf32> -> tensor<1x15x10x6xf32>
  // i8 input and filter accumulate into i32 and take an i32 bias.
  // CHECK-NEXT: ptensor.conv2d {{.*}} : tensor<1x8x8x4xi8>, tensor<1x1x4x2xi8>, tensor<2xi32> -> tensor<1x8x8x2xi32>
  %5 = ptensor.conv2d %qx, %qw, %qb {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x8x8x4xi8>, tensor<1x1x4x2xi8>, tensor<2xi32> -> tensor<1x8x8x2xi32>
  func.return
}

// CHECK-LABEL: func.func @pooling
func.func @pooling(%x: tensor<1x28x28x8xf32>, %q: tensor<2x5x5x4xi8>, %h: tensor<1x4x4x2xf16>) {
  // CHECK-NEXT: ptensor.max_pool2d %{{.*}} {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x28x28x8xf32> -> tensor<1x14x14x8xf32>
  // GENERIC: "ptensor.max_pool2d"(%{{.*}}) <{kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>}> : (tensor<1x28x28x8xf32>) -> tensor<1x14x14x8xf32>
  %0 = ptensor.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x28x28x8xf32> -> tensor<1x14x14x8xf32>
  // max_pool2d accepts integers; a partial last window is dropped: (5 - 2) / 2 + 1 = 2.
  // CHECK-NEXT: ptensor.max_pool2d {{.*}} : tensor<2x5x5x4xi8> -> tensor<2x2x2x4xi8>
  %1 = ptensor.max_pool2d %q {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<2x5x5x4xi8> -> tensor<2x2x2x4xi8>
  // CHECK-NEXT: ptensor.avg_pool2d %{{.*}} {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : tensor<1x28x28x8xf32> -> tensor<1x28x28x8xf32>
  // GENERIC: "ptensor.avg_pool2d"
  %2 = ptensor.avg_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>} : tensor<1x28x28x8xf32> -> tensor<1x28x28x8xf32>
  // A window as large as the input gives one output element.
  // CHECK-NEXT: ptensor.avg_pool2d {{.*}} : tensor<1x4x4x2xf16> -> tensor<1x1x1x2xf16>
  %3 = ptensor.avg_pool2d %h {kernel = array<i64: 4, 4>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x4x4x2xf16> -> tensor<1x1x1x2xf16>
  func.return
}
