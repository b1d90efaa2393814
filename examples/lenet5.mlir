builtin.module attributes {ptensor.weights = "lenet5.weights"} {
  func.func @lenet5(%x: tensor<1x32x32x1xf32>) -> tensor<1x10xf32> {
    %conv1.w = ptensor.weight "conv1.w" at 0 : tensor<5x5x1x6xf32>
    %conv1.b = ptensor.weight "conv1.b" at 640 : tensor<6xf32>
    %conv1 = ptensor.conv2d %x, %conv1.w, %conv1.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x32x32x1xf32>, tensor<5x5x1x6xf32>, tensor<6xf32> -> tensor<1x28x28x6xf32>
    %conv1.relu = ptensor.relu %conv1 : tensor<1x28x28x6xf32>
    %pool1 = ptensor.avg_pool2d %conv1.relu {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x28x28x6xf32> -> tensor<1x14x14x6xf32>
    %conv2.w = ptensor.weight "conv2.w" at 704 : tensor<5x5x6x16xf32>
    %conv2.b = ptensor.weight "conv2.b" at 10304 : tensor<16xf32>
    %conv2 = ptensor.conv2d %pool1, %conv2.w, %conv2.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x6xf32>, tensor<5x5x6x16xf32>, tensor<16xf32> -> tensor<1x10x10x16xf32>
    %conv2.relu = ptensor.relu %conv2 : tensor<1x10x10x16xf32>
    %pool2 = ptensor.avg_pool2d %conv2.relu {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x10x10x16xf32> -> tensor<1x5x5x16xf32>
    %flatten = ptensor.reshape %pool2 : tensor<1x5x5x16xf32> -> tensor<1x400xf32>
    %fc1.w = ptensor.weight "fc1.w" at 10368 : tensor<400x120xf32>
    %fc1.b = ptensor.weight "fc1.b" at 202368 : tensor<120xf32>
    %fc1.matmul = ptensor.matmul %flatten, %fc1.w : tensor<1x400xf32>, tensor<400x120xf32> -> tensor<1x120xf32>
    %fc1 = ptensor.add %fc1.matmul, %fc1.b : tensor<1x120xf32>, tensor<120xf32> -> tensor<1x120xf32>
    %fc1.relu = ptensor.relu %fc1 : tensor<1x120xf32>
    %fc2.w = ptensor.weight "fc2.w" at 202880 : tensor<120x84xf32>
    %fc2.b = ptensor.weight "fc2.b" at 243200 : tensor<84xf32>
    %fc2.matmul = ptensor.matmul %fc1.relu, %fc2.w : tensor<1x120xf32>, tensor<120x84xf32> -> tensor<1x84xf32>
    %fc2 = ptensor.add %fc2.matmul, %fc2.b : tensor<1x84xf32>, tensor<84xf32> -> tensor<1x84xf32>
    %fc2.relu = ptensor.relu %fc2 : tensor<1x84xf32>
    %fc3.w = ptensor.weight "fc3.w" at 243584 : tensor<84x10xf32>
    %fc3.b = ptensor.weight "fc3.b" at 246976 : tensor<10xf32>
    %fc3.matmul = ptensor.matmul %fc2.relu, %fc3.w : tensor<1x84xf32>, tensor<84x10xf32> -> tensor<1x10xf32>
    %fc3 = ptensor.add %fc3.matmul, %fc3.b : tensor<1x10xf32>, tensor<10xf32> -> tensor<1x10xf32>
    func.return %fc3 : tensor<1x10xf32>
  }
}
