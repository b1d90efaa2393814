// RUN: pelemay-opt %s -p verify-memory-plan | filecheck %s
// RUN: not pelemay-opt %s -p 'plan-memory{algorithm=first-come}' 2>&1 | filecheck %s --check-prefix=ALG

// ALG: error: plan-memory: unknown algorithm 'first-come'; valid algorithms: greedy-by-size, greedy-by-conflicts, best-fit, search

// A sound hand-written plan: %a, %b and %c are alive together at the add and
// sit apart; %d reuses %a's bytes once %a is dead. The pass changes nothing.

// CHECK-LABEL: func.func @sound
// CHECK-NEXT:    %arena = pbuf.arena {size = 48 : i64, alignment = 16 : i64} : memref<48xi8>
// CHECK-NEXT:    %a = pbuf.view %arena[0] {name = "a"}
// CHECK-NEXT:    %b = pbuf.view %arena[16] {name = "b"}
// CHECK-NEXT:    %c = pbuf.view %arena[32] {name = "c"}
// CHECK-NEXT:    %d = pbuf.view %arena[0] {name = "d"}
func.func @sound(%x: memref<4xf32>, %out: memref<4xf32> {pbuf.output = 0 : i64}) {
  %arena = pbuf.arena {size = 48 : i64, alignment = 16 : i64} : memref<48xi8>
  %a = pbuf.view %arena[0] {name = "a"} : memref<48xi8> -> memref<4xf32>
  %b = pbuf.view %arena[16] {name = "b"} : memref<48xi8> -> memref<4xf32>
  %c = pbuf.view %arena[32] {name = "c"} : memref<48xi8> -> memref<2x2xf32>
  %d = pbuf.view %arena[0] {name = "d"} : memref<48xi8> -> memref<4xf32>
  pbuf.exp %x, %a : memref<4xf32>, memref<4xf32>
  pbuf.neg %x, %b : memref<4xf32>, memref<4xf32>
  %a2 = pbuf.reshape %a : memref<4xf32> -> memref<2x2xf32>
  %b2 = pbuf.reshape %b : memref<4xf32> -> memref<2x2xf32>
  pbuf.add %a2, %b2, %c : memref<2x2xf32>, memref<2x2xf32>, memref<2x2xf32>
  %c1 = pbuf.reshape %c : memref<2x2xf32> -> memref<4xf32>
  pbuf.tanh %c1, %d : memref<4xf32>, memref<4xf32>
  pbuf.copy %d, %out : memref<4xf32>, memref<4xf32>
  func.return
}
