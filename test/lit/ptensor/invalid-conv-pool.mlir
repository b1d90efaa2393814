// Diagnostics of conv2d, max_pool2d and avg_pool2d.
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s

func.func @conv_rank(%x: tensor<28x28x3xf32>, %w: tensor<3x3x3x8xf32>) -> tensor<1x26x26x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op conv2d needs a rank-4 NHWC input and a rank-4 HWCF filter, got 28x28x3 and 3x3x3x8
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<28x28x3xf32>, tensor<3x3x3x8xf32> -> tensor<1x26x26x8xf32>
  func.return %0 : tensor<1x26x26x8xf32>
}

// -----

func.func @conv_strides(%x: tensor<1x28x28x3xf32>, %w: tensor<3x3x3x8xf32>) -> tensor<1x26x26x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op strides must be two values >= 1, got [0, 1]
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 0, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32> -> tensor<1x26x26x8xf32>
  func.return %0 : tensor<1x26x26x8xf32>
}

// -----

func.func @conv_dilations(%x: tensor<1x28x28x3xf32>, %w: tensor<3x3x3x8xf32>) -> tensor<1x26x26x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op dilations must be two values >= 1, got [1]
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32> -> tensor<1x26x26x8xf32>
  func.return %0 : tensor<1x26x26x8xf32>
}

// -----

func.func @conv_padding(%x: tensor<1x28x28x3xf32>, %w: tensor<3x3x3x8xf32>) -> tensor<1x26x26x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op padding must be four values >= 0 (top, bottom, left, right), got [1, 1]
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32> -> tensor<1x26x26x8xf32>
  func.return %0 : tensor<1x26x26x8xf32>
}

// -----

func.func @conv_groups(%x: tensor<1x28x28x3xf32>, %w: tensor<3x3x1x8xf32>) -> tensor<1x26x26x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op groups 3 must divide the input channels 3 and the output channels 8
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 3 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x1x8xf32> -> tensor<1x26x26x8xf32>
  func.return %0 : tensor<1x26x26x8xf32>
}

// -----

func.func @conv_channels(%x: tensor<1x28x28x3xf32>, %w: tensor<3x3x4x8xf32>) -> tensor<1x26x26x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op filter 3x3x4x8 has 4 input channels per group, expected 3 (input channels 3 / groups 1)
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x4x8xf32> -> tensor<1x26x26x8xf32>
  func.return %0 : tensor<1x26x26x8xf32>
}

// -----

func.func @conv_window(%x: tensor<1x2x28x3xf32>, %w: tensor<3x3x3x8xf32>) -> tensor<1x1x26x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op conv2d height: window of 3 does not fit the padded size 2
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x2x28x3xf32>, tensor<3x3x3x8xf32> -> tensor<1x1x26x8xf32>
  func.return %0 : tensor<1x1x26x8xf32>
}

// -----

func.func @conv_dilated_window(%x: tensor<1x28x4x3xf32>, %w: tensor<3x3x3x8xf32>) -> tensor<1x24x1x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op conv2d width: window of 5 does not fit the padded size 4
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x4x3xf32>, tensor<3x3x3x8xf32> -> tensor<1x24x1x8xf32>
  func.return %0 : tensor<1x24x1x8xf32>
}

// -----

func.func @conv_elements(%x: tensor<1x28x28x3xf32>, %w: tensor<3x3x3x8xf16>) -> tensor<1x26x26x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op filter has element type f16, expected the input's f32
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x3x8xf16> -> tensor<1x26x26x8xf32>
  func.return %0 : tensor<1x26x26x8xf32>
}

// -----

func.func @conv_bias(%x: tensor<1x8x8x4xi8>, %w: tensor<1x1x4x2xi8>, %b: tensor<2xi8>) -> tensor<1x8x8x2xi32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op bias type tensor<2xi8> does not match tensor<2xi32> (one i32 per output channel)
  %0 = ptensor.conv2d %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x8x8x4xi8>, tensor<1x1x4x2xi8>, tensor<2xi8> -> tensor<1x8x8x2xi32>
  func.return %0 : tensor<1x8x8x2xi32>
}

// -----

func.func @conv_bias_dynamic(%x: tensor<1x8x8x4xf32>, %w: tensor<1x1x4x2xf32>, %b: tensor<?xf32>) -> tensor<1x8x8x2xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op operand #2 has dynamic shape tensor<?xf32>; only static shapes are supported
  %0 = ptensor.conv2d %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x8x8x4xf32>, tensor<1x1x4x2xf32>, tensor<?xf32> -> tensor<1x8x8x2xf32>
  func.return %0 : tensor<1x8x8x2xf32>
}

// -----

func.func @conv_result(%x: tensor<1x28x28x3xf32>, %w: tensor<3x3x3x8xf32>) -> tensor<1x28x28x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op result type tensor<1x28x28x8xf32> does not match the inferred type tensor<1x26x26x8xf32>
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32> -> tensor<1x28x28x8xf32>
  func.return %0 : tensor<1x28x28x8xf32>
}

// -----

func.func @conv_bools(%x: tensor<1x4x4x1xi1>, %w: tensor<1x1x1x1xi1>) -> tensor<1x4x4x1xi1> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op input has element type i1; expected one of f32, f16, i32, i8
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x4x4x1xi1>, tensor<1x1x1x1xi1> -> tensor<1x4x4x1xi1>
  func.return %0 : tensor<1x4x4x1xi1>
}

// -----

func.func @conv_missing_groups(%x: tensor<1x28x28x3xf32>, %w: tensor<3x3x3x8xf32>) -> tensor<1x26x26x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.conv2d' op requires property 'groups'
  %0 = ptensor.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x28x28x3xf32>, tensor<3x3x3x8xf32> -> tensor<1x26x26x8xf32>
  func.return %0 : tensor<1x26x26x8xf32>
}

// -----

func.func @pool_rank(%x: tensor<28x28x8xf32>) -> tensor<14x14x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.max_pool2d' op pooling needs a rank-4 NHWC input, got 28x28x8
  %0 = ptensor.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<28x28x8xf32> -> tensor<14x14x8xf32>
  func.return %0 : tensor<14x14x8xf32>
}

// -----

func.func @pool_kernel(%x: tensor<1x28x28x8xf32>) -> tensor<1x14x14x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.max_pool2d' op kernel must be two values >= 1, got [2, 0]
  %0 = ptensor.max_pool2d %x {kernel = array<i64: 2, 0>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x28x28x8xf32> -> tensor<1x14x14x8xf32>
  func.return %0 : tensor<1x14x14x8xf32>
}

// -----

func.func @pool_strides(%x: tensor<1x28x28x8xf32>) -> tensor<1x14x14x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.avg_pool2d' op strides must be two values >= 1, got [2, 2, 2]
  %0 = ptensor.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x28x28x8xf32> -> tensor<1x14x14x8xf32>
  func.return %0 : tensor<1x14x14x8xf32>
}

// -----

func.func @pool_padding_negative(%x: tensor<1x28x28x8xf32>) -> tensor<1x14x14x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.avg_pool2d' op padding must be four values >= 0 (top, bottom, left, right), got [0, -1, 0, 0]
  %0 = ptensor.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, -1, 0, 0>} : tensor<1x28x28x8xf32> -> tensor<1x14x14x8xf32>
  func.return %0 : tensor<1x14x14x8xf32>
}

// -----

func.func @pool_padding_kernel(%x: tensor<1x28x28x8xf32>) -> tensor<1x15x15x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.max_pool2d' op padding [2, 2, 0, 0] must be smaller than the kernel [2, 2]
  %0 = ptensor.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 2, 2, 0, 0>} : tensor<1x28x28x8xf32> -> tensor<1x15x15x8xf32>
  func.return %0 : tensor<1x15x15x8xf32>
}

// -----

func.func @pool_window(%x: tensor<1x28x2x8xf32>) -> tensor<1x9x1x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.max_pool2d' op pooling width: window of 3 does not fit the padded size 2
  %0 = ptensor.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 3, 3>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x28x2x8xf32> -> tensor<1x9x1x8xf32>
  func.return %0 : tensor<1x9x1x8xf32>
}

// -----

func.func @avg_pool_integers(%x: tensor<1x4x4x1xi8>) -> tensor<1x2x2x1xi8> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.avg_pool2d' op input has element type i8; expected one of f32, f16
  %0 = ptensor.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x4x4x1xi8> -> tensor<1x2x2x1xi8>
  func.return %0 : tensor<1x2x2x1xi8>
}

// -----

func.func @pool_result(%x: tensor<1x28x28x8xf32>) -> tensor<1x28x28x8xf32> {
  // CHECK: {{.*}}.mlir:[[# @LINE + 1]]:3: error: 'ptensor.max_pool2d' op result type tensor<1x28x28x8xf32> does not match the inferred type tensor<1x14x14x8xf32>
  %0 = ptensor.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x28x28x8xf32> -> tensor<1x28x28x8xf32>
  func.return %0 : tensor<1x28x28x8xf32>
}
