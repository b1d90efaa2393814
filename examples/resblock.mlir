builtin.module attributes {ptensor.weights = "resblock.weights"} {
  func.func @resblock(%x: tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32> {
    %conv1.w = ptensor.weight "conv1.w" at 0 : tensor<3x3x64x64xf32>
    %conv1.b = ptensor.weight "conv1.b" at 147456 : tensor<64xf32>
    %conv1 = ptensor.conv2d %x, %conv1.w, %conv1.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 1 : i64} : tensor<1x56x56x64xf32>, tensor<3x3x64x64xf32>, tensor<64xf32> -> tensor<1x56x56x64xf32>
    %conv1.relu = ptensor.relu %conv1 : tensor<1x56x56x64xf32>
    %conv2.w = ptensor.weight "conv2.w" at 147712 : tensor<3x3x64x64xf32>
    %conv2.b = ptensor.weight "conv2.b" at 295168 : tensor<64xf32>
    %conv2 = ptensor.conv2d %conv1.relu, %conv2.w, %conv2.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 1 : i64} : tensor<1x56x56x64xf32>, tensor<3x3x64x64xf32>, tensor<64xf32> -> tensor<1x56x56x64xf32>
    %add = ptensor.add %conv2, %x : tensor<1x56x56x64xf32>, tensor<1x56x56x64xf32> -> tensor<1x56x56x64xf32>
    %out = ptensor.relu %add : tensor<1x56x56x64xf32>
    func.return %out : tensor<1x56x56x64xf32>
  }
}
