builtin.module attributes {ptensor.weights = "mlp.weights"} {
  func.func @mlp(%x: tensor<1x784xf32>) -> tensor<1x10xf32> {
    %fc1.w = ptensor.weight "fc1.w" at 0 : tensor<784x256xf32>
    %fc1.b = ptensor.weight "fc1.b" at 802816 : tensor<256xf32>
    %fc1.matmul = ptensor.matmul %x, %fc1.w : tensor<1x784xf32>, tensor<784x256xf32> -> tensor<1x256xf32>
    %fc1 = ptensor.add %fc1.matmul, %fc1.b : tensor<1x256xf32>, tensor<256xf32> -> tensor<1x256xf32>
    %fc1.relu = ptensor.relu %fc1 : tensor<1x256xf32>
    %fc2.w = ptensor.weight "fc2.w" at 803840 : tensor<256x128xf32>
    %fc2.b = ptensor.weight "fc2.b" at 934912 : tensor<128xf32>
    %fc2.matmul = ptensor.matmul %fc1.relu, %fc2.w : tensor<1x256xf32>, tensor<256x128xf32> -> tensor<1x128xf32>
    %fc2 = ptensor.add %fc2.matmul, %fc2.b : tensor<1x128xf32>, tensor<128xf32> -> tensor<1x128xf32>
    %fc2.relu = ptensor.relu %fc2 : tensor<1x128xf32>
    %fc3.w = ptensor.weight "fc3.w" at 935424 : tensor<128x10xf32>
    %fc3.b = ptensor.weight "fc3.b" at 940544 : tensor<10xf32>
    %fc3.matmul = ptensor.matmul %fc2.relu, %fc3.w : tensor<1x128xf32>, tensor<128x10xf32> -> tensor<1x10xf32>
    %fc3 = ptensor.add %fc3.matmul, %fc3.b : tensor<1x10xf32>, tensor<10xf32> -> tensor<1x10xf32>
    func.return %fc3 : tensor<1x10xf32>
  }
}
