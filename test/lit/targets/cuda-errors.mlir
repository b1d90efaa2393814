// RUN: not pelemay-opt %s -t cuda 2>&1 | filecheck %s --check-prefix=UNLOWERED
// RUN: not pelemay-opt %s -p pelemay-to-cuda -t 'cuda{arch=sm_90}' 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not pelemay-opt %s -p 'pelemay-to-cuda{arch=sm_10}' 2>&1 | filecheck %s --check-prefix=ARCH
// RUN: not pelemay-opt %s -p 'pelemay-to-cuda{weights=embedded}' 2>&1 | filecheck %s --check-prefix=WEIGHTS
// RUN: not pelemay-opt %s -p 'pelemay-to-cuda{block-size=100}' 2>&1 | filecheck %s --check-prefix=BLOCK

// UNLOWERED: pelemay-opt: error: -t cuda prints a module after outline-gpu-kernels (run pelemay-to-cuda first)
// OPTION:    pelemay-opt: error: unknown option 'arch' of the cuda target; it takes none (the architecture is pelemay-to-cuda's option 'arch')
// ARCH:      pelemay-opt: error: unknown cuda architecture 'sm_10'; valid architectures: sm_75, sm_80, sm_86, sm_89, sm_90, sm_100, sm_120
// WEIGHTS:   pelemay-opt: error: pelemay-to-cuda: unknown option 'weights'; valid options: arch, block-size, algorithm,
// BLOCK:     pelemay-opt: error: outline-gpu-kernels: block-size must be 32, 64, 128, 256, 512 or 1024, got 100

func.func @double(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = ptensor.add %x, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
