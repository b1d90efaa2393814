builtin.module attributes {ptensor.weights = "mobilenet_v2.weights"} {
  func.func @mobilenet_v2(%x: tensor<1x224x224x3xf32>) -> tensor<1x1000xf32> {
    %conv1.w = ptensor.weight "conv1.w" at 0 : tensor<3x3x3x32xf32>
    %conv1.b = ptensor.weight "conv1.b" at 3456 : tensor<32xf32>
    %conv1 = ptensor.conv2d %x, %conv1.w, %conv1.b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 1 : i64} : tensor<1x224x224x3xf32>, tensor<3x3x3x32xf32>, tensor<32xf32> -> tensor<1x112x112x32xf32>
    %conv1.relu6 = ptensor.relu6 %conv1 : tensor<1x112x112x32xf32>
    %b1.dw.w = ptensor.weight "b1.dw.w" at 3584 : tensor<3x3x1x32xf32>
    %b1.dw.b = ptensor.weight "b1.dw.b" at 4736 : tensor<32xf32>
    %b1.dw = ptensor.conv2d %conv1.relu6, %b1.dw.w, %b1.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 32 : i64} : tensor<1x112x112x32xf32>, tensor<3x3x1x32xf32>, tensor<32xf32> -> tensor<1x112x112x32xf32>
    %b1.dw.relu6 = ptensor.relu6 %b1.dw : tensor<1x112x112x32xf32>
    %b1.project.w = ptensor.weight "b1.project.w" at 4864 : tensor<1x1x32x16xf32>
    %b1.project.b = ptensor.weight "b1.project.b" at 6912 : tensor<16xf32>
    %b1.project = ptensor.conv2d %b1.dw.relu6, %b1.project.w, %b1.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x112x112x32xf32>, tensor<1x1x32x16xf32>, tensor<16xf32> -> tensor<1x112x112x16xf32>
    %b2.expand.w = ptensor.weight "b2.expand.w" at 6976 : tensor<1x1x16x96xf32>
    %b2.expand.b = ptensor.weight "b2.expand.b" at 13120 : tensor<96xf32>
    %b2.expand = ptensor.conv2d %b1.project, %b2.expand.w, %b2.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x112x112x16xf32>, tensor<1x1x16x96xf32>, tensor<96xf32> -> tensor<1x112x112x96xf32>
    %b2.expand.relu6 = ptensor.relu6 %b2.expand : tensor<1x112x112x96xf32>
    %b2.dw.w = ptensor.weight "b2.dw.w" at 13504 : tensor<3x3x1x96xf32>
    %b2.dw.b = ptensor.weight "b2.dw.b" at 16960 : tensor<96xf32>
    %b2.dw = ptensor.conv2d %b2.expand.relu6, %b2.dw.w, %b2.dw.b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 96 : i64} : tensor<1x112x112x96xf32>, tensor<3x3x1x96xf32>, tensor<96xf32> -> tensor<1x56x56x96xf32>
    %b2.dw.relu6 = ptensor.relu6 %b2.dw : tensor<1x56x56x96xf32>
    %b2.project.w = ptensor.weight "b2.project.w" at 17344 : tensor<1x1x96x24xf32>
    %b2.project.b = ptensor.weight "b2.project.b" at 26560 : tensor<24xf32>
    %b2.project = ptensor.conv2d %b2.dw.relu6, %b2.project.w, %b2.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x56x56x96xf32>, tensor<1x1x96x24xf32>, tensor<24xf32> -> tensor<1x56x56x24xf32>
    %b3.expand.w = ptensor.weight "b3.expand.w" at 26688 : tensor<1x1x24x144xf32>
    %b3.expand.b = ptensor.weight "b3.expand.b" at 40512 : tensor<144xf32>
    %b3.expand = ptensor.conv2d %b2.project, %b3.expand.w, %b3.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x56x56x24xf32>, tensor<1x1x24x144xf32>, tensor<144xf32> -> tensor<1x56x56x144xf32>
    %b3.expand.relu6 = ptensor.relu6 %b3.expand : tensor<1x56x56x144xf32>
    %b3.dw.w = ptensor.weight "b3.dw.w" at 41088 : tensor<3x3x1x144xf32>
    %b3.dw.b = ptensor.weight "b3.dw.b" at 46272 : tensor<144xf32>
    %b3.dw = ptensor.conv2d %b3.expand.relu6, %b3.dw.w, %b3.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 144 : i64} : tensor<1x56x56x144xf32>, tensor<3x3x1x144xf32>, tensor<144xf32> -> tensor<1x56x56x144xf32>
    %b3.dw.relu6 = ptensor.relu6 %b3.dw : tensor<1x56x56x144xf32>
    %b3.project.w = ptensor.weight "b3.project.w" at 46848 : tensor<1x1x144x24xf32>
    %b3.project.b = ptensor.weight "b3.project.b" at 60672 : tensor<24xf32>
    %b3.project = ptensor.conv2d %b3.dw.relu6, %b3.project.w, %b3.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x56x56x144xf32>, tensor<1x1x144x24xf32>, tensor<24xf32> -> tensor<1x56x56x24xf32>
    %b3.add = ptensor.add %b2.project, %b3.project : tensor<1x56x56x24xf32>, tensor<1x56x56x24xf32> -> tensor<1x56x56x24xf32>
    %b4.expand.w = ptensor.weight "b4.expand.w" at 60800 : tensor<1x1x24x144xf32>
    %b4.expand.b = ptensor.weight "b4.expand.b" at 74624 : tensor<144xf32>
    %b4.expand = ptensor.conv2d %b3.add, %b4.expand.w, %b4.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x56x56x24xf32>, tensor<1x1x24x144xf32>, tensor<144xf32> -> tensor<1x56x56x144xf32>
    %b4.expand.relu6 = ptensor.relu6 %b4.expand : tensor<1x56x56x144xf32>
    %b4.dw.w = ptensor.weight "b4.dw.w" at 75200 : tensor<3x3x1x144xf32>
    %b4.dw.b = ptensor.weight "b4.dw.b" at 80384 : tensor<144xf32>
    %b4.dw = ptensor.conv2d %b4.expand.relu6, %b4.dw.w, %b4.dw.b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 144 : i64} : tensor<1x56x56x144xf32>, tensor<3x3x1x144xf32>, tensor<144xf32> -> tensor<1x28x28x144xf32>
    %b4.dw.relu6 = ptensor.relu6 %b4.dw : tensor<1x28x28x144xf32>
    %b4.project.w = ptensor.weight "b4.project.w" at 80960 : tensor<1x1x144x32xf32>
    %b4.project.b = ptensor.weight "b4.project.b" at 99392 : tensor<32xf32>
    %b4.project = ptensor.conv2d %b4.dw.relu6, %b4.project.w, %b4.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x144xf32>, tensor<1x1x144x32xf32>, tensor<32xf32> -> tensor<1x28x28x32xf32>
    %b5.expand.w = ptensor.weight "b5.expand.w" at 99520 : tensor<1x1x32x192xf32>
    %b5.expand.b = ptensor.weight "b5.expand.b" at 124096 : tensor<192xf32>
    %b5.expand = ptensor.conv2d %b4.project, %b5.expand.w, %b5.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x32xf32>, tensor<1x1x32x192xf32>, tensor<192xf32> -> tensor<1x28x28x192xf32>
    %b5.expand.relu6 = ptensor.relu6 %b5.expand : tensor<1x28x28x192xf32>
    %b5.dw.w = ptensor.weight "b5.dw.w" at 124864 : tensor<3x3x1x192xf32>
    %b5.dw.b = ptensor.weight "b5.dw.b" at 131776 : tensor<192xf32>
    %b5.dw = ptensor.conv2d %b5.expand.relu6, %b5.dw.w, %b5.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 192 : i64} : tensor<1x28x28x192xf32>, tensor<3x3x1x192xf32>, tensor<192xf32> -> tensor<1x28x28x192xf32>
    %b5.dw.relu6 = ptensor.relu6 %b5.dw : tensor<1x28x28x192xf32>
    %b5.project.w = ptensor.weight "b5.project.w" at 132544 : tensor<1x1x192x32xf32>
    %b5.project.b = ptensor.weight "b5.project.b" at 157120 : tensor<32xf32>
    %b5.project = ptensor.conv2d %b5.dw.relu6, %b5.project.w, %b5.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x192xf32>, tensor<1x1x192x32xf32>, tensor<32xf32> -> tensor<1x28x28x32xf32>
    %b5.add = ptensor.add %b4.project, %b5.project : tensor<1x28x28x32xf32>, tensor<1x28x28x32xf32> -> tensor<1x28x28x32xf32>
    %b6.expand.w = ptensor.weight "b6.expand.w" at 157248 : tensor<1x1x32x192xf32>
    %b6.expand.b = ptensor.weight "b6.expand.b" at 181824 : tensor<192xf32>
    %b6.expand = ptensor.conv2d %b5.add, %b6.expand.w, %b6.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x32xf32>, tensor<1x1x32x192xf32>, tensor<192xf32> -> tensor<1x28x28x192xf32>
    %b6.expand.relu6 = ptensor.relu6 %b6.expand : tensor<1x28x28x192xf32>
    %b6.dw.w = ptensor.weight "b6.dw.w" at 182592 : tensor<3x3x1x192xf32>
    %b6.dw.b = ptensor.weight "b6.dw.b" at 189504 : tensor<192xf32>
    %b6.dw = ptensor.conv2d %b6.expand.relu6, %b6.dw.w, %b6.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 192 : i64} : tensor<1x28x28x192xf32>, tensor<3x3x1x192xf32>, tensor<192xf32> -> tensor<1x28x28x192xf32>
    %b6.dw.relu6 = ptensor.relu6 %b6.dw : tensor<1x28x28x192xf32>
    %b6.project.w = ptensor.weight "b6.project.w" at 190272 : tensor<1x1x192x32xf32>
    %b6.project.b = ptensor.weight "b6.project.b" at 214848 : tensor<32xf32>
    %b6.project = ptensor.conv2d %b6.dw.relu6, %b6.project.w, %b6.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x192xf32>, tensor<1x1x192x32xf32>, tensor<32xf32> -> tensor<1x28x28x32xf32>
    %b6.add = ptensor.add %b5.add, %b6.project : tensor<1x28x28x32xf32>, tensor<1x28x28x32xf32> -> tensor<1x28x28x32xf32>
    %b7.expand.w = ptensor.weight "b7.expand.w" at 214976 : tensor<1x1x32x192xf32>
    %b7.expand.b = ptensor.weight "b7.expand.b" at 239552 : tensor<192xf32>
    %b7.expand = ptensor.conv2d %b6.add, %b7.expand.w, %b7.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x28x28x32xf32>, tensor<1x1x32x192xf32>, tensor<192xf32> -> tensor<1x28x28x192xf32>
    %b7.expand.relu6 = ptensor.relu6 %b7.expand : tensor<1x28x28x192xf32>
    %b7.dw.w = ptensor.weight "b7.dw.w" at 240320 : tensor<3x3x1x192xf32>
    %b7.dw.b = ptensor.weight "b7.dw.b" at 247232 : tensor<192xf32>
    %b7.dw = ptensor.conv2d %b7.expand.relu6, %b7.dw.w, %b7.dw.b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 192 : i64} : tensor<1x28x28x192xf32>, tensor<3x3x1x192xf32>, tensor<192xf32> -> tensor<1x14x14x192xf32>
    %b7.dw.relu6 = ptensor.relu6 %b7.dw : tensor<1x14x14x192xf32>
    %b7.project.w = ptensor.weight "b7.project.w" at 248000 : tensor<1x1x192x64xf32>
    %b7.project.b = ptensor.weight "b7.project.b" at 297152 : tensor<64xf32>
    %b7.project = ptensor.conv2d %b7.dw.relu6, %b7.project.w, %b7.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x192xf32>, tensor<1x1x192x64xf32>, tensor<64xf32> -> tensor<1x14x14x64xf32>
    %b8.expand.w = ptensor.weight "b8.expand.w" at 297408 : tensor<1x1x64x384xf32>
    %b8.expand.b = ptensor.weight "b8.expand.b" at 395712 : tensor<384xf32>
    %b8.expand = ptensor.conv2d %b7.project, %b8.expand.w, %b8.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x64xf32>, tensor<1x1x64x384xf32>, tensor<384xf32> -> tensor<1x14x14x384xf32>
    %b8.expand.relu6 = ptensor.relu6 %b8.expand : tensor<1x14x14x384xf32>
    %b8.dw.w = ptensor.weight "b8.dw.w" at 397248 : tensor<3x3x1x384xf32>
    %b8.dw.b = ptensor.weight "b8.dw.b" at 411072 : tensor<384xf32>
    %b8.dw = ptensor.conv2d %b8.expand.relu6, %b8.dw.w, %b8.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 384 : i64} : tensor<1x14x14x384xf32>, tensor<3x3x1x384xf32>, tensor<384xf32> -> tensor<1x14x14x384xf32>
    %b8.dw.relu6 = ptensor.relu6 %b8.dw : tensor<1x14x14x384xf32>
    %b8.project.w = ptensor.weight "b8.project.w" at 412608 : tensor<1x1x384x64xf32>
    %b8.project.b = ptensor.weight "b8.project.b" at 510912 : tensor<64xf32>
    %b8.project = ptensor.conv2d %b8.dw.relu6, %b8.project.w, %b8.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x384xf32>, tensor<1x1x384x64xf32>, tensor<64xf32> -> tensor<1x14x14x64xf32>
    %b8.add = ptensor.add %b7.project, %b8.project : tensor<1x14x14x64xf32>, tensor<1x14x14x64xf32> -> tensor<1x14x14x64xf32>
    %b9.expand.w = ptensor.weight "b9.expand.w" at 511168 : tensor<1x1x64x384xf32>
    %b9.expand.b = ptensor.weight "b9.expand.b" at 609472 : tensor<384xf32>
    %b9.expand = ptensor.conv2d %b8.add, %b9.expand.w, %b9.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x64xf32>, tensor<1x1x64x384xf32>, tensor<384xf32> -> tensor<1x14x14x384xf32>
    %b9.expand.relu6 = ptensor.relu6 %b9.expand : tensor<1x14x14x384xf32>
    %b9.dw.w = ptensor.weight "b9.dw.w" at 611008 : tensor<3x3x1x384xf32>
    %b9.dw.b = ptensor.weight "b9.dw.b" at 624832 : tensor<384xf32>
    %b9.dw = ptensor.conv2d %b9.expand.relu6, %b9.dw.w, %b9.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 384 : i64} : tensor<1x14x14x384xf32>, tensor<3x3x1x384xf32>, tensor<384xf32> -> tensor<1x14x14x384xf32>
    %b9.dw.relu6 = ptensor.relu6 %b9.dw : tensor<1x14x14x384xf32>
    %b9.project.w = ptensor.weight "b9.project.w" at 626368 : tensor<1x1x384x64xf32>
    %b9.project.b = ptensor.weight "b9.project.b" at 724672 : tensor<64xf32>
    %b9.project = ptensor.conv2d %b9.dw.relu6, %b9.project.w, %b9.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x384xf32>, tensor<1x1x384x64xf32>, tensor<64xf32> -> tensor<1x14x14x64xf32>
    %b9.add = ptensor.add %b8.add, %b9.project : tensor<1x14x14x64xf32>, tensor<1x14x14x64xf32> -> tensor<1x14x14x64xf32>
    %b10.expand.w = ptensor.weight "b10.expand.w" at 724928 : tensor<1x1x64x384xf32>
    %b10.expand.b = ptensor.weight "b10.expand.b" at 823232 : tensor<384xf32>
    %b10.expand = ptensor.conv2d %b9.add, %b10.expand.w, %b10.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x64xf32>, tensor<1x1x64x384xf32>, tensor<384xf32> -> tensor<1x14x14x384xf32>
    %b10.expand.relu6 = ptensor.relu6 %b10.expand : tensor<1x14x14x384xf32>
    %b10.dw.w = ptensor.weight "b10.dw.w" at 824768 : tensor<3x3x1x384xf32>
    %b10.dw.b = ptensor.weight "b10.dw.b" at 838592 : tensor<384xf32>
    %b10.dw = ptensor.conv2d %b10.expand.relu6, %b10.dw.w, %b10.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 384 : i64} : tensor<1x14x14x384xf32>, tensor<3x3x1x384xf32>, tensor<384xf32> -> tensor<1x14x14x384xf32>
    %b10.dw.relu6 = ptensor.relu6 %b10.dw : tensor<1x14x14x384xf32>
    %b10.project.w = ptensor.weight "b10.project.w" at 840128 : tensor<1x1x384x64xf32>
    %b10.project.b = ptensor.weight "b10.project.b" at 938432 : tensor<64xf32>
    %b10.project = ptensor.conv2d %b10.dw.relu6, %b10.project.w, %b10.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x384xf32>, tensor<1x1x384x64xf32>, tensor<64xf32> -> tensor<1x14x14x64xf32>
    %b10.add = ptensor.add %b9.add, %b10.project : tensor<1x14x14x64xf32>, tensor<1x14x14x64xf32> -> tensor<1x14x14x64xf32>
    %b11.expand.w = ptensor.weight "b11.expand.w" at 938688 : tensor<1x1x64x384xf32>
    %b11.expand.b = ptensor.weight "b11.expand.b" at 1036992 : tensor<384xf32>
    %b11.expand = ptensor.conv2d %b10.add, %b11.expand.w, %b11.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x64xf32>, tensor<1x1x64x384xf32>, tensor<384xf32> -> tensor<1x14x14x384xf32>
    %b11.expand.relu6 = ptensor.relu6 %b11.expand : tensor<1x14x14x384xf32>
    %b11.dw.w = ptensor.weight "b11.dw.w" at 1038528 : tensor<3x3x1x384xf32>
    %b11.dw.b = ptensor.weight "b11.dw.b" at 1052352 : tensor<384xf32>
    %b11.dw = ptensor.conv2d %b11.expand.relu6, %b11.dw.w, %b11.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 384 : i64} : tensor<1x14x14x384xf32>, tensor<3x3x1x384xf32>, tensor<384xf32> -> tensor<1x14x14x384xf32>
    %b11.dw.relu6 = ptensor.relu6 %b11.dw : tensor<1x14x14x384xf32>
    %b11.project.w = ptensor.weight "b11.project.w" at 1053888 : tensor<1x1x384x96xf32>
    %b11.project.b = ptensor.weight "b11.project.b" at 1201344 : tensor<96xf32>
    %b11.project = ptensor.conv2d %b11.dw.relu6, %b11.project.w, %b11.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x384xf32>, tensor<1x1x384x96xf32>, tensor<96xf32> -> tensor<1x14x14x96xf32>
    %b12.expand.w = ptensor.weight "b12.expand.w" at 1201728 : tensor<1x1x96x576xf32>
    %b12.expand.b = ptensor.weight "b12.expand.b" at 1422912 : tensor<576xf32>
    %b12.expand = ptensor.conv2d %b11.project, %b12.expand.w, %b12.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x96xf32>, tensor<1x1x96x576xf32>, tensor<576xf32> -> tensor<1x14x14x576xf32>
    %b12.expand.relu6 = ptensor.relu6 %b12.expand : tensor<1x14x14x576xf32>
    %b12.dw.w = ptensor.weight "b12.dw.w" at 1425216 : tensor<3x3x1x576xf32>
    %b12.dw.b = ptensor.weight "b12.dw.b" at 1445952 : tensor<576xf32>
    %b12.dw = ptensor.conv2d %b12.expand.relu6, %b12.dw.w, %b12.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 576 : i64} : tensor<1x14x14x576xf32>, tensor<3x3x1x576xf32>, tensor<576xf32> -> tensor<1x14x14x576xf32>
    %b12.dw.relu6 = ptensor.relu6 %b12.dw : tensor<1x14x14x576xf32>
    %b12.project.w = ptensor.weight "b12.project.w" at 1448256 : tensor<1x1x576x96xf32>
    %b12.project.b = ptensor.weight "b12.project.b" at 1669440 : tensor<96xf32>
    %b12.project = ptensor.conv2d %b12.dw.relu6, %b12.project.w, %b12.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x576xf32>, tensor<1x1x576x96xf32>, tensor<96xf32> -> tensor<1x14x14x96xf32>
    %b12.add = ptensor.add %b11.project, %b12.project : tensor<1x14x14x96xf32>, tensor<1x14x14x96xf32> -> tensor<1x14x14x96xf32>
    %b13.expand.w = ptensor.weight "b13.expand.w" at 1669824 : tensor<1x1x96x576xf32>
    %b13.expand.b = ptensor.weight "b13.expand.b" at 1891008 : tensor<576xf32>
    %b13.expand = ptensor.conv2d %b12.add, %b13.expand.w, %b13.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x96xf32>, tensor<1x1x96x576xf32>, tensor<576xf32> -> tensor<1x14x14x576xf32>
    %b13.expand.relu6 = ptensor.relu6 %b13.expand : tensor<1x14x14x576xf32>
    %b13.dw.w = ptensor.weight "b13.dw.w" at 1893312 : tensor<3x3x1x576xf32>
    %b13.dw.b = ptensor.weight "b13.dw.b" at 1914048 : tensor<576xf32>
    %b13.dw = ptensor.conv2d %b13.expand.relu6, %b13.dw.w, %b13.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 576 : i64} : tensor<1x14x14x576xf32>, tensor<3x3x1x576xf32>, tensor<576xf32> -> tensor<1x14x14x576xf32>
    %b13.dw.relu6 = ptensor.relu6 %b13.dw : tensor<1x14x14x576xf32>
    %b13.project.w = ptensor.weight "b13.project.w" at 1916352 : tensor<1x1x576x96xf32>
    %b13.project.b = ptensor.weight "b13.project.b" at 2137536 : tensor<96xf32>
    %b13.project = ptensor.conv2d %b13.dw.relu6, %b13.project.w, %b13.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x576xf32>, tensor<1x1x576x96xf32>, tensor<96xf32> -> tensor<1x14x14x96xf32>
    %b13.add = ptensor.add %b12.add, %b13.project : tensor<1x14x14x96xf32>, tensor<1x14x14x96xf32> -> tensor<1x14x14x96xf32>
    %b14.expand.w = ptensor.weight "b14.expand.w" at 2137920 : tensor<1x1x96x576xf32>
    %b14.expand.b = ptensor.weight "b14.expand.b" at 2359104 : tensor<576xf32>
    %b14.expand = ptensor.conv2d %b13.add, %b14.expand.w, %b14.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x14x14x96xf32>, tensor<1x1x96x576xf32>, tensor<576xf32> -> tensor<1x14x14x576xf32>
    %b14.expand.relu6 = ptensor.relu6 %b14.expand : tensor<1x14x14x576xf32>
    %b14.dw.w = ptensor.weight "b14.dw.w" at 2361408 : tensor<3x3x1x576xf32>
    %b14.dw.b = ptensor.weight "b14.dw.b" at 2382144 : tensor<576xf32>
    %b14.dw = ptensor.conv2d %b14.expand.relu6, %b14.dw.w, %b14.dw.b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 1, 0, 1>, groups = 576 : i64} : tensor<1x14x14x576xf32>, tensor<3x3x1x576xf32>, tensor<576xf32> -> tensor<1x7x7x576xf32>
    %b14.dw.relu6 = ptensor.relu6 %b14.dw : tensor<1x7x7x576xf32>
    %b14.project.w = ptensor.weight "b14.project.w" at 2384448 : tensor<1x1x576x160xf32>
    %b14.project.b = ptensor.weight "b14.project.b" at 2753088 : tensor<160xf32>
    %b14.project = ptensor.conv2d %b14.dw.relu6, %b14.project.w, %b14.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x576xf32>, tensor<1x1x576x160xf32>, tensor<160xf32> -> tensor<1x7x7x160xf32>
    %b15.expand.w = ptensor.weight "b15.expand.w" at 2753728 : tensor<1x1x160x960xf32>
    %b15.expand.b = ptensor.weight "b15.expand.b" at 3368128 : tensor<960xf32>
    %b15.expand = ptensor.conv2d %b14.project, %b15.expand.w, %b15.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x160xf32>, tensor<1x1x160x960xf32>, tensor<960xf32> -> tensor<1x7x7x960xf32>
    %b15.expand.relu6 = ptensor.relu6 %b15.expand : tensor<1x7x7x960xf32>
    %b15.dw.w = ptensor.weight "b15.dw.w" at 3371968 : tensor<3x3x1x960xf32>
    %b15.dw.b = ptensor.weight "b15.dw.b" at 3406528 : tensor<960xf32>
    %b15.dw = ptensor.conv2d %b15.expand.relu6, %b15.dw.w, %b15.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 960 : i64} : tensor<1x7x7x960xf32>, tensor<3x3x1x960xf32>, tensor<960xf32> -> tensor<1x7x7x960xf32>
    %b15.dw.relu6 = ptensor.relu6 %b15.dw : tensor<1x7x7x960xf32>
    %b15.project.w = ptensor.weight "b15.project.w" at 3410368 : tensor<1x1x960x160xf32>
    %b15.project.b = ptensor.weight "b15.project.b" at 4024768 : tensor<160xf32>
    %b15.project = ptensor.conv2d %b15.dw.relu6, %b15.project.w, %b15.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x960xf32>, tensor<1x1x960x160xf32>, tensor<160xf32> -> tensor<1x7x7x160xf32>
    %b15.add = ptensor.add %b14.project, %b15.project : tensor<1x7x7x160xf32>, tensor<1x7x7x160xf32> -> tensor<1x7x7x160xf32>
    %b16.expand.w = ptensor.weight "b16.expand.w" at 4025408 : tensor<1x1x160x960xf32>
    %b16.expand.b = ptensor.weight "b16.expand.b" at 4639808 : tensor<960xf32>
    %b16.expand = ptensor.conv2d %b15.add, %b16.expand.w, %b16.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x160xf32>, tensor<1x1x160x960xf32>, tensor<960xf32> -> tensor<1x7x7x960xf32>
    %b16.expand.relu6 = ptensor.relu6 %b16.expand : tensor<1x7x7x960xf32>
    %b16.dw.w = ptensor.weight "b16.dw.w" at 4643648 : tensor<3x3x1x960xf32>
    %b16.dw.b = ptensor.weight "b16.dw.b" at 4678208 : tensor<960xf32>
    %b16.dw = ptensor.conv2d %b16.expand.relu6, %b16.dw.w, %b16.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 960 : i64} : tensor<1x7x7x960xf32>, tensor<3x3x1x960xf32>, tensor<960xf32> -> tensor<1x7x7x960xf32>
    %b16.dw.relu6 = ptensor.relu6 %b16.dw : tensor<1x7x7x960xf32>
    %b16.project.w = ptensor.weight "b16.project.w" at 4682048 : tensor<1x1x960x160xf32>
    %b16.project.b = ptensor.weight "b16.project.b" at 5296448 : tensor<160xf32>
    %b16.project = ptensor.conv2d %b16.dw.relu6, %b16.project.w, %b16.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x960xf32>, tensor<1x1x960x160xf32>, tensor<160xf32> -> tensor<1x7x7x160xf32>
    %b16.add = ptensor.add %b15.add, %b16.project : tensor<1x7x7x160xf32>, tensor<1x7x7x160xf32> -> tensor<1x7x7x160xf32>
    %b17.expand.w = ptensor.weight "b17.expand.w" at 5297088 : tensor<1x1x160x960xf32>
    %b17.expand.b = ptensor.weight "b17.expand.b" at 5911488 : tensor<960xf32>
    %b17.expand = ptensor.conv2d %b16.add, %b17.expand.w, %b17.expand.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x160xf32>, tensor<1x1x160x960xf32>, tensor<960xf32> -> tensor<1x7x7x960xf32>
    %b17.expand.relu6 = ptensor.relu6 %b17.expand : tensor<1x7x7x960xf32>
    %b17.dw.w = ptensor.weight "b17.dw.w" at 5915328 : tensor<3x3x1x960xf32>
    %b17.dw.b = ptensor.weight "b17.dw.b" at 5949888 : tensor<960xf32>
    %b17.dw = ptensor.conv2d %b17.expand.relu6, %b17.dw.w, %b17.dw.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 960 : i64} : tensor<1x7x7x960xf32>, tensor<3x3x1x960xf32>, tensor<960xf32> -> tensor<1x7x7x960xf32>
    %b17.dw.relu6 = ptensor.relu6 %b17.dw : tensor<1x7x7x960xf32>
    %b17.project.w = ptensor.weight "b17.project.w" at 5953728 : tensor<1x1x960x320xf32>
    %b17.project.b = ptensor.weight "b17.project.b" at 7182528 : tensor<320xf32>
    %b17.project = ptensor.conv2d %b17.dw.relu6, %b17.project.w, %b17.project.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x960xf32>, tensor<1x1x960x320xf32>, tensor<320xf32> -> tensor<1x7x7x320xf32>
    %conv_last.w = ptensor.weight "conv_last.w" at 7183808 : tensor<1x1x320x1280xf32>
    %conv_last.b = ptensor.weight "conv_last.b" at 8822208 : tensor<1280xf32>
    %conv_last = ptensor.conv2d %b17.project, %conv_last.w, %conv_last.b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, groups = 1 : i64} : tensor<1x7x7x320xf32>, tensor<1x1x320x1280xf32>, tensor<1280xf32> -> tensor<1x7x7x1280xf32>
    %conv_last.relu6 = ptensor.relu6 %conv_last : tensor<1x7x7x1280xf32>
    %pool = ptensor.avg_pool2d %conv_last.relu6 {kernel = array<i64: 7, 7>, strides = array<i64: 7, 7>, padding = array<i64: 0, 0, 0, 0>} : tensor<1x7x7x1280xf32> -> tensor<1x1x1x1280xf32>
    %flatten = ptensor.reshape %pool : tensor<1x1x1x1280xf32> -> tensor<1x1280xf32>
    %fc.w = ptensor.weight "fc.w" at 8827328 : tensor<1280x1000xf32>
    %fc.b = ptensor.weight "fc.b" at 13947328 : tensor<1000xf32>
    %fc.matmul = ptensor.matmul %flatten, %fc.w : tensor<1x1280xf32>, tensor<1280x1000xf32> -> tensor<1x1000xf32>
    %fc = ptensor.add %fc.matmul, %fc.b : tensor<1x1000xf32>, tensor<1000xf32> -> tensor<1x1000xf32>
    %probs = ptensor.softmax %fc {axis = -1 : i64} : tensor<1x1000xf32> -> tensor<1x1000xf32>
    func.return %probs : tensor<1x1000xf32>
  }
}
