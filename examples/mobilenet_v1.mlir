builtin.module attributes {ptensor.weights = "mobilenet_v1.weights"} {
  func.func @mobilenet_v1(%x: tensor<1x224x224x3xf32>) -> tensor<1x1000xf32> {
    %conv1.w = ptensor.weight "conv1.w" at 0 : tensor<3x3x3x32xf32>
    %conv1.b = ptensor.weight "conv1.b" at 3456 : tensor<32xf32>
    %conv1 = ptensor.conv2d %x, %conv1.w, %conv1.b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 1 : i64} : tensor<1x224x224x3xf32>, tensor<3x3x3x32xf32>, tensor<32xf32> -> tensor<1x112x112x32xf32>
    %conv1.relu6 = ptensor.relu6 %conv1 : tensor<1x112x112x32xf32>
    %b1.dw.w = ptensor.weight "b1.dw.w" at 3584 : tensor<3x3x1x32xf32>
    %b1.dw.b = ptensor.weight "b1.dw.b" at 4736 : tensor<32xf32>
    %b1.dw = ptensor.conv2d %conv1.relu6, %b1.dw.w, %b1.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 32 : i64} : tensor<1x112x112x32xf32>, tensor<3x3x1x32xf32>, tensor<32xf32> -> tensor<1x112x112x32xf32>
    %b1.dw.relu6 = ptensor.relu6 %b1.dw : tensor<1x112x112x32xf32>
    %b1.pw.w = ptensor.weight "b1.pw.w" at 4864 : tensor<1x1x32x64xf32>
    %b1.pw.b = ptensor.weight "b1.pw.b" at 13056 : tensor<64xf32>
    %b1.pw = ptensor.conv2d %b1.dw.relu6, %b1.pw.w, %b1.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x112x112x32xf32>, tensor<1x1x32x64xf32>, tensor<64xf32> -> tensor<1x112x112x64xf32>
    %b1.pw.relu6 = ptensor.relu6 %b1.pw : tensor<1x112x112x64xf32>
    %b2.dw.w = ptensor.weight "b2.dw.w" at 13312 : tensor<3x3x1x64xf32>
    %b2.dw.b = ptensor.weight "b2.dw.b" at 15616 : tensor<64xf32>
    %b2.dw = ptensor.conv2d %b1.pw.relu6, %b2.dw.w, %b2.dw.b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 64 : i64} : tensor<1x112x112x64xf32>, tensor<3x3x1x64xf32>, tensor<64xf32> -> tensor<1x56x56x64xf32>
    %b2.dw.relu6 = ptensor.relu6 %b2.dw : tensor<1x56x56x64xf32>
    %b2.pw.w = ptensor.weight "b2.pw.w" at 15872 : tensor<1x1x64x128xf32>
    %b2.pw.b = ptensor.weight "b2.pw.b" at 48640 : tensor<128xf32>
    %b2.pw = ptensor.conv2d %b2.dw.relu6, %b2.pw.w, %b2.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x56x56x64xf32>, tensor<1x1x64x128xf32>, tensor<128xf32> -> tensor<1x56x56x128xf32>
    %b2.pw.relu6 = ptensor.relu6 %b2.pw : tensor<1x56x56x128xf32>
    %b3.dw.w = ptensor.weight "b3.dw.w" at 49152 : tensor<3x3x1x128xf32>
    %b3.dw.b = ptensor.weight "b3.dw.b" at 53760 : tensor<128xf32>
    %b3.dw = ptensor.conv2d %b2.pw.relu6, %b3.dw.w, %b3.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 128 : i64} : tensor<1x56x56x128xf32>, tensor<3x3x1x128xf32>, tensor<128xf32> -> tensor<1x56x56x128xf32>
    %b3.dw.relu6 = ptensor.relu6 %b3.dw : tensor<1x56x56x128xf32>
    %b3.pw.w = ptensor.weight "b3.pw.w" at 54272 : tensor<1x1x128x128xf32>
    %b3.pw.b = ptensor.weight "b3.pw.b" at 119808 : tensor<128xf32>
    %b3.pw = ptensor.conv2d %b3.dw.relu6, %b3.pw.w, %b3.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x56x56x128xf32>, tensor<1x1x128x128xf32>, tensor<128xf32> -> tensor<1x56x56x128xf32>
    %b3.pw.relu6 = ptensor.relu6 %b3.pw : tensor<1x56x56x128xf32>
    %b4.dw.w = ptensor.weight "b4.dw.w" at 120320 : tensor<3x3x1x128xf32>
    %b4.dw.b = ptensor.weight "b4.dw.b" at 124928 : tensor<128xf32>
    %b4.dw = ptensor.conv2d %b3.pw.relu6, %b4.dw.w, %b4.dw.b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 128 : i64} : tensor<1x56x56x128xf32>, tensor<3x3x1x128xf32>, tensor<128xf32> -> tensor<1x28x28x128xf32>
    %b4.dw.relu6 = ptensor.relu6 %b4.dw : tensor<1x28x28x128xf32>
    %b4.pw.w = ptensor.weight "b4.pw.w" at 125440 : tensor<1x1x128x256xf32>
    %b4.pw.b = ptensor.weight "b4.pw.b" at 256512 : tensor<256xf32>
    %b4.pw = ptensor.conv2d %b4.dw.relu6, %b4.pw.w, %b4.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x128xf32>, tensor<1x1x128x256xf32>, tensor<256xf32> -> tensor<1x28x28x256xf32>
    %b4.pw.relu6 = ptensor.relu6 %b4.pw : tensor<1x28x28x256xf32>
    %b5.dw.w = ptensor.weight "b5.dw.w" at 257536 : tensor<3x3x1x256xf32>
    %b5.dw.b = ptensor.weight "b5.dw.b" at 266752 : tensor<256xf32>
    %b5.dw = ptensor.conv2d %b4.pw.relu6, %b5.dw.w, %b5.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 256 : i64} : tensor<1x28x28x256xf32>, tensor<3x3x1x256xf32>, tensor<256xf32> -> tensor<1x28x28x256xf32>
    %b5.dw.relu6 = ptensor.relu6 %b5.dw : tensor<1x28x28x256xf32>
    %b5.pw.w = ptensor.weight "b5.pw.w" at 267776 : tensor<1x1x256x256xf32>
    %b5.pw.b = ptensor.weight "b5.pw.b" at 529920 : tensor<256xf32>
    %b5.pw = ptensor.conv2d %b5.dw.relu6, %b5.pw.w, %b5.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x256xf32>, tensor<1x1x256x256xf32>, tensor<256xf32> -> tensor<1x28x28x256xf32>
    %b5.pw.relu6 = ptensor.relu6 %b5.pw : tensor<1x28x28x256xf32>
    %b6.dw.w = ptensor.weight "b6.dw.w" at 530944 : tensor<3x3x1x256xf32>
    %b6.dw.b = ptensor.weight "b6.dw.b" at 540160 : tensor<256xf32>
    %b6.dw = ptensor.conv2d %b5.pw.relu6, %b6.dw.w, %b6.dw.b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 256 : i64} : tensor<1x28x28x256xf32>, tensor<3x3x1x256xf32>, tensor<256xf32> -> tensor<1x14x14x256xf32>
    %b6.dw.relu6 = ptensor.relu6 %b6.dw : tensor<1x14x14x256xf32>
    %b6.pw.w = ptensor.weight "b6.pw.w" at 541184 : tensor<1x1x256x512xf32>
    %b6.pw.b = ptensor.weight "b6.pw.b" at 1065472 : tensor<512xf32>
    %b6.pw = ptensor.conv2d %b6.dw.relu6, %b6.pw.w, %b6.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x256xf32>, tensor<1x1x256x512xf32>, tensor<512xf32> -> tensor<1x14x14x512xf32>
    %b6.pw.relu6 = ptensor.relu6 %b6.pw : tensor<1x14x14x512xf32>
    %b7.dw.w = ptensor.weight "b7.dw.w" at 1067520 : tensor<3x3x1x512xf32>
    %b7.dw.b = ptensor.weight "b7.dw.b" at 1085952 : tensor<512xf32>
    %b7.dw = ptensor.conv2d %b6.pw.relu6, %b7.dw.w, %b7.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 512 : i64} : tensor<1x14x14x512xf32>, tensor<3x3x1x512xf32>, tensor<512xf32> -> tensor<1x14x14x512xf32>
    %b7.dw.relu6 = ptensor.relu6 %b7.dw : tensor<1x14x14x512xf32>
    %b7.pw.w = ptensor.weight "b7.pw.w" at 1088000 : tensor<1x1x512x512xf32>
    %b7.pw.b = ptensor.weight "b7.pw.b" at 2136576 : tensor<512xf32>
    %b7.pw = ptensor.conv2d %b7.dw.relu6, %b7.pw.w, %b7.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x512xf32>, tensor<1x1x512x512xf32>, tensor<512xf32> -> tensor<1x14x14x512xf32>
    %b7.pw.relu6 = ptensor.relu6 %b7.pw : tensor<1x14x14x512xf32>
    %b8.dw.w = ptensor.weight "b8.dw.w" at 2138624 : tensor<3x3x1x512xf32>
    %b8.dw.b = ptensor.weight "b8.dw.b" at 2157056 : tensor<512xf32>
    %b8.dw = ptensor.conv2d %b7.pw.relu6, %b8.dw.w, %b8.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 512 : i64} : tensor<1x14x14x512xf32>, tensor<3x3x1x512xf32>, tensor<512xf32> -> tensor<1x14x14x512xf32>
    %b8.dw.relu6 = ptensor.relu6 %b8.dw : tensor<1x14x14x512xf32>
    %b8.pw.w = ptensor.weight "b8.pw.w" at 2159104 : tensor<1x1x512x512xf32>
    %b8.pw.b = ptensor.weight "b8.pw.b" at 3207680 : tensor<512xf32>
    %b8.pw = ptensor.conv2d %b8.dw.relu6, %b8.pw.w, %b8.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x512xf32>, tensor<1x1x512x512xf32>, tensor<512xf32> -> tensor<1x14x14x512xf32>
    %b8.pw.relu6 = ptensor.relu6 %b8.pw : tensor<1x14x14x512xf32>
    %b9.dw.w = ptensor.weight "b9.dw.w" at 3209728 : tensor<3x3x1x512xf32>
    %b9.dw.b = ptensor.weight "b9.dw.b" at 3228160 : tensor<512xf32>
    %b9.dw = ptensor.conv2d %b8.pw.relu6, %b9.dw.w, %b9.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 512 : i64} : tensor<1x14x14x512xf32>, tensor<3x3x1x512xf32>, tensor<512xf32> -> tensor<1x14x14x512xf32>
    %b9.dw.relu6 = ptensor.relu6 %b9.dw : tensor<1x14x14x512xf32>
    %b9.pw.w = ptensor.weight "b9.pw.w" at 3230208 : tensor<1x1x512x512xf32>
    %b9.pw.b = ptensor.weight "b9.pw.b" at 4278784 : tensor<512xf32>
    %b9.pw = ptensor.conv2d %b9.dw.relu6, %b9.pw.w, %b9.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x512xf32>, tensor<1x1x512x512xf32>, tensor<512xf32> -> tensor<1x14x14x512xf32>
    %b9.pw.relu6 = ptensor.relu6 %b9.pw : tensor<1x14x14x512xf32>
    %b10.dw.w = ptensor.weight "b10.dw.w" at 4280832 : tensor<3x3x1x512xf32>
    %b10.dw.b = ptensor.weight "b10.dw.b" at 4299264 : tensor<512xf32>
    %b10.dw = ptensor.conv2d %b9.pw.relu6, %b10.dw.w, %b10.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 512 : i64} : tensor<1x14x14x512xf32>, tensor<3x3x1x512xf32>, tensor<512xf32> -> tensor<1x14x14x512xf32>
    %b10.dw.relu6 = ptensor.relu6 %b10.dw : tensor<1x14x14x512xf32>
    %b10.pw.w = ptensor.weight "b10.pw.w" at 4301312 : tensor<1x1x512x512xf32>
    %b10.pw.b = ptensor.weight "b10.pw.b" at 5349888 : tensor<512xf32>
    %b10.pw = ptensor.conv2d %b10.dw.relu6, %b10.pw.w, %b10.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x512xf32>, tensor<1x1x512x512xf32>, tensor<512xf32> -> tensor<1x14x14x512xf32>
    %b10.pw.relu6 = ptensor.relu6 %b10.pw : tensor<1x14x14x512xf32>
    %b11.dw.w = ptensor.weight "b11.dw.w" at 5351936 : tensor<3x3x1x512xf32>
    %b11.dw.b = ptensor.weight "b11.dw.b" at 5370368 : tensor<512xf32>
    %b11.dw = ptensor.conv2d %b10.pw.relu6, %b11.dw.w, %b11.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 512 : i64} : tensor<1x14x14x512xf32>, tensor<3x3x1x512xf32>, tensor<512xf32> -> tensor<1x14x14x512xf32>
    %b11.dw.relu6 = ptensor.relu6 %b11.dw : tensor<1x14x14x512xf32>
    %b11.pw.w = ptensor.weight "b11.pw.w" at 5372416 : tensor<1x1x512x512xf32>
    %b11.pw.b = ptensor.weight "b11.pw.b" at 6420992 : tensor<512xf32>
    %b11.pw = ptensor.conv2d %b11.dw.relu6, %b11.pw.w, %b11.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x512xf32>, tensor<1x1x512x512xf32>, tensor<512xf32> -> tensor<1x14x14x512xf32>
    %b11.pw.relu6 = ptensor.relu6 %b11.pw : tensor<1x14x14x512xf32>
    %b12.dw.w = ptensor.weight "b12.dw.w" at 6423040 : tensor<3x3x1x512xf32>
    %b12.dw.b = ptensor.weight "b12.dw.b" at 6441472 : tensor<512xf32>
    %b12.dw = ptensor.conv2d %b11.pw.relu6, %b12.dw.w, %b12.dw.b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 512 : i64} : tensor<1x14x14x512xf32>, tensor<3x3x1x512xf32>, tensor<512xf32> -> tensor<1x7x7x512xf32>
    %b12.dw.relu6 = ptensor.relu6 %b12.dw : tensor<1x7x7x512xf32>
    %b12.pw.w = ptensor.weight "b12.pw.w" at 6443520 : tensor<1x1x512x1024xf32>
    %b12.pw.b = ptensor.weight "b12.pw.b" at 8540672 : tensor<1024xf32>
    %b12.pw = ptensor.conv2d %b12.dw.relu6, %b12.pw.w, %b12.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x512xf32>, tensor<1x1x512x1024xf32>, tensor<1024xf32> -> tensor<1x7x7x1024xf32>
    %b12.pw.relu6 = ptensor.relu6 %b12.pw : tensor<1x7x7x1024xf32>
    %b13.dw.w = ptensor.weight "b13.dw.w" at 8544768 : tensor<3x3x1x1024xf32>
    %b13.dw.b = ptensor.weight "b13.dw.b" at 8581632 : tensor<1024xf32>
    %b13.dw = ptensor.conv2d %b12.pw.relu6, %b13.dw.w, %b13.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 1024 : i64} : tensor<1x7x7x1024xf32>, tensor<3x3x1x1024xf32>, tensor<1024xf32> -> tensor<1x7x7x1024xf32>
    %b13.dw.relu6 = ptensor.relu6 %b13.dw : tensor<1x7x7x1024xf32>
    %b13.pw.w = ptensor.weight "b13.pw.w" at 8585728 : tensor<1x1x1024x1024xf32>
    %b13.pw.b = ptensor.weight "b13.pw.b" at 12780032 : tensor<1024xf32>
    %b13.pw = ptensor.conv2d %b13.dw.relu6, %b13.pw.w, %b13.pw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x1024xf32>, tensor<1x1x1024x1024xf32>, tensor<1024xf32> -> tensor<1x7x7x1024xf32>
    %b13.pw.relu6 = ptensor.relu6 %b13.pw : tensor<1x7x7x1024xf32>
    %pool = ptensor.avg_pool2d %b13.pw.relu6 {kernel = array<i64: 7, 7>, strides = array<i64: 7, 7>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x7x7x1024xf32> -> tensor<1x1x1x1024xf32>
    %flatten = ptensor.reshape %pool : tensor<1x1x1x1024xf32> -> tensor<1x1024xf32>
    %fc.w = ptensor.weight "fc.w" at 12784128 : tensor<1024x1000xf32>
    %fc.b = ptensor.weight "fc.b" at 16880128 : tensor<1000xf32>
    %fc.matmul = ptensor.matmul %flatten, %fc.w : tensor<1x1024xf32>, tensor<1024x1000xf32> -> tensor<1x1000xf32>
    %fc = ptensor.add %fc.matmul, %fc.b : tensor<1x1000xf32>, tensor<1000xf32> -> tensor<1x1000xf32>
    %probs = ptensor.softmax %fc {axis = -1 : i64} : tensor<1x1000xf32> -> tensor<1x1000xf32>
    func.return %probs : tensor<1x1000xf32>
  }
}
