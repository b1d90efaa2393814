// RUN: pelemay-opt %s --split-input-file -p 'bufferize,plan-memory{report="%t.json"},verify-memory-plan' | filecheck %s
// RUN: filecheck %s --check-prefix=JSON < %t.json
// RUN: pelemay-opt %s --split-input-file -p 'bufferize,plan-memory{reorder=true},verify-memory-plan' | filecheck %s --check-prefix=REORDER
// RUN: pelemay-opt %s --split-input-file -p 'bufferize,plan-memory{io-in-arena=true},verify-memory-plan' | filecheck %s --check-prefix=IO

// Two 256-byte buffers alive together, then the small sums (the first is
// computed in the result, which the final add updates in place): one arena
// of 512 bytes, every alloc a view of it. With reorder=true the second
// branch waits until the first is reduced: 272 bytes.

// CHECK-LABEL: func.func @branches(
// CHECK-NEXT:    %arena = pbuf.arena {size = 512 : i64, alignment = 16 : i64} : memref<512xi8>
// CHECK-NEXT:    %a = pbuf.view %arena[{{[0-9]+}}] {name = "a"} : memref<512xi8> -> memref<64xf32>
// CHECK-NEXT:    pbuf.exp %x, %a
// CHECK-NEXT:    %b = pbuf.view %arena[{{[0-9]+}}] {name = "b"} : memref<512xi8> -> memref<64xf32>
// CHECK-NEXT:    pbuf.neg %x, %b
// CHECK-NOT:     pbuf.alloc

// REORDER-LABEL: func.func @branches(
// REORDER-NEXT:    %arena = pbuf.arena {size = 272 : i64, alignment = 16 : i64} : memref<272xi8>
// REORDER:         pbuf.exp
// REORDER-NEXT:    pbuf.reduce_sum
// REORDER-NEXT:    pbuf.neg
// REORDER-NEXT:    pbuf.reduce_sum
// REORDER-NEXT:    pbuf.add

// JSON:      "arena_bytes": 512,
// JSON:      "buffers": [
// JSON:          "first_use": 0,
// JSON-NEXT:     "kind": "intermediate",
// JSON-NEXT:     "last_use": 2,
// JSON-NEXT:     "name": "a",
// JSON:      "function": "branches",
// JSON-NEXT: "lower_bound_bytes": 512,
// JSON-NEXT: "naive_bytes": 528

// With io-in-arena=true the inputs and outputs get arena space too (copied
// in first, out last) and the arguments say where.

// IO-LABEL: func.func @branches(%x: memref<64xf32> {pbuf.arena_offset = {{[0-9]+}} : i64}, %out: memref<1xf32> {pbuf.output = 0 : i64, pbuf.arena_offset = {{[0-9]+}} : i64}) {
// IO-NEXT:    %arena = pbuf.arena {size = 768 : i64, alignment = 16 : i64}
// IO-NEXT:    %x_in_arena = pbuf.view %arena[{{[0-9]+}}] {name = "x"}
// IO-NEXT:    pbuf.copy %x, %x_in_arena
// IO:         pbuf.copy %out_in_arena, %out : memref<1xf32>, memref<1xf32>
// IO-NEXT:    func.return
func.func @branches(%x: tensor<64xf32>) -> tensor<1xf32> {
  %a = ptensor.exp %x : tensor<64xf32>
  %b = ptensor.neg %x : tensor<64xf32>
  %sa = ptensor.reduce_sum %a {axes = array<i64: 0>, keepdims} : tensor<64xf32> -> tensor<1xf32>
  %sb = ptensor.reduce_sum %b {axes = array<i64: 0>, keepdims} : tensor<64xf32> -> tensor<1xf32>
  %s = ptensor.add %sa, %sb : tensor<1xf32>, tensor<1xf32> -> tensor<1xf32>
  func.return %s : tensor<1xf32>
}
