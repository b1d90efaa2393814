// RUN: pelemay-opt %s -p legalize | filecheck %s

// maximumf/minimumf, on scalars and vectors alike: NaN propagates (the first
// NaN operand) and -0 < +0, as compares and selects without a branch. The
// larger (a > b ? a : b, which is b when equal or unordered), then for equal
// operands the bits of both (max and, min or: the sign rule of zeros), then
// a NaN a. Against a constant that is not NaN: one compare and one select,
// the predicate keeping the sign rule of zeros (max with +0: x <= 0 takes 0;
// min with -0: x >= -0 takes -0). On vectors the compares and selects are
// mask.cmpf and mask.select; vector.reduction <maximumf|minimumf> combines
// the vector with itself rotated by half its lanes, then a quarter, ...,
// then takes lane 0 and last the start value.

// CHECK-LABEL: func.func @minmax
// CHECK:         %[[GT:.*]] = arith.cmpf ogt, %a, %b : f32
// CHECK-NEXT:    %[[PICK:.*]] = arith.select %[[GT]], %a, %b : f32
// CHECK-NEXT:    %[[AB:.*]] = arith.bitcast %a : f32 to i32
// CHECK-NEXT:    %[[BB:.*]] = arith.bitcast %b : f32 to i32
// CHECK-NEXT:    %[[S:.*]] = arith.andi %[[AB]], %[[BB]] : i32
// CHECK-NEXT:    %[[TIE:.*]] = arith.bitcast %[[S]] : i32 to f32
// CHECK-NEXT:    %[[EQ:.*]] = arith.cmpf oeq, %a, %b : f32
// CHECK-NEXT:    %[[ORD:.*]] = arith.select %[[EQ]], %[[TIE]], %[[PICK]] : f32
// CHECK-NEXT:    %[[AN:.*]] = arith.cmpf une, %a, %a : f32
// CHECK-NEXT:    %max = arith.select %[[AN]], %a, %[[ORD]] : f32
// CHECK-NEXT:    %[[LT:.*]] = arith.cmpf olt, %c, %d : f64
// CHECK:         arith.ori %{{.*}}, %{{.*}} : i64
// CHECK:         %min = arith.select
// CHECK-NEXT:    %[[LE:.*]] = arith.cmpf ole, %a, %zero : f32
// CHECK-NEXT:    %relu = arith.select %[[LE]], %zero, %a : f32
// CHECK-NEXT:    %[[GE:.*]] = arith.cmpf oge, %a, %negzero : f32
// CHECK-NEXT:    %clamp = arith.select %[[GE]], %negzero, %a : f32
// CHECK-NEXT:    %[[VGT:.*]] = mask.cmpf "ogt", %v, %w : vector<4xf32> -> vector<4xi1>
// CHECK-NEXT:    %[[VPICK:.*]] = mask.select %[[VGT]], %v, %w : vector<4xi1>, vector<4xf32>
// CHECK-NEXT:    %[[VB:.*]] = arith.bitcast %v : vector<4xf32> to vector<4xi32>
// CHECK-NEXT:    %[[WB:.*]] = arith.bitcast %w : vector<4xf32> to vector<4xi32>
// CHECK-NEXT:    %[[VS:.*]] = arith.andi %[[VB]], %[[WB]] : vector<4xi32>
// CHECK-NEXT:    %[[VTIE:.*]] = arith.bitcast %[[VS]] : vector<4xi32> to vector<4xf32>
// CHECK-NEXT:    %[[VEQ:.*]] = mask.cmpf "oeq", %v, %w : vector<4xf32> -> vector<4xi1>
// CHECK-NEXT:    %[[VORD:.*]] = mask.select %[[VEQ]], %[[VTIE]], %[[VPICK]] : vector<4xi1>, vector<4xf32>
// CHECK-NEXT:    %[[VN:.*]] = mask.cmpf "une", %v, %v : vector<4xf32> -> vector<4xi1>
// CHECK-NEXT:    %lanes = mask.select %[[VN]], %v, %[[VORD]] : vector<4xi1>, vector<4xf32>
// CHECK-NEXT:    %[[VGE:.*]] = mask.cmpf "oge", %v, %negzeros : vector<4xf32> -> vector<4xi1>
// CHECK-NEXT:    %vclamp = mask.select %[[VGE]], %negzeros, %v : vector<4xi1>, vector<4xf32>
// CHECK-NEXT:    %[[R2:.*]] = vector.shuffle %v, %v [2, 3, 0, 1] : vector<4xf32>, vector<4xf32>
// CHECK-NEXT:    mask.cmpf "ogt", %v, %[[R2]] : vector<4xf32> -> vector<4xi1>
// CHECK:         %[[VN2:.*]] = mask.cmpf "une", %v, %v : vector<4xf32> -> vector<4xi1>
// CHECK-NEXT:    %[[H:.*]] = mask.select %[[VN2]], %v, %{{.*}} : vector<4xi1>, vector<4xf32>
// CHECK-NEXT:    %[[R1:.*]] = vector.shuffle %[[H]], %[[H]] [1, 0, 2, 3] : vector<4xf32>, vector<4xf32>
// CHECK-NEXT:    mask.cmpf "ogt", %[[H]], %[[R1]] : vector<4xf32> -> vector<4xi1>
// CHECK:         %[[HN:.*]] = mask.cmpf "une", %[[H]], %[[H]] : vector<4xf32> -> vector<4xi1>
// CHECK-NEXT:    %[[Q:.*]] = mask.select %[[HN]], %[[H]], %{{.*}} : vector<4xi1>, vector<4xf32>
// CHECK-NEXT:    %[[L0:.*]] = vector.extract %[[Q]][0] : f32 from vector<4xf32>
// CHECK-NEXT:    arith.cmpf ogt, %a, %[[L0]] : f32
// CHECK:         %top = arith.select
// CHECK-NEXT:    func.return
func.func @minmax(%a: f32, %b: f32, %c: f64, %d: f64, %v: vector<4xf32>, %w: vector<4xf32>)
    -> (f32, f64, f32, f32, vector<4xf32>, vector<4xf32>, f32) {
  %zero = arith.constant 0.0 : f32
  %negzero = arith.constant -0.0 : f32
  %negzeros = arith.constant dense<-0.0> : vector<4xf32>
  %max = arith.maximumf %a, %b : f32
  %min = arith.minimumf %c, %d : f64
  %relu = arith.maximumf %a, %zero : f32
  %clamp = arith.minimumf %negzero, %a : f32
  %lanes = arith.maximumf %v, %w : vector<4xf32>
  %vclamp = arith.minimumf %v, %negzeros : vector<4xf32>
  %top = vector.reduction <maximumf>, %v, %a : vector<4xf32> into f32
  func.return %max, %min, %relu, %clamp, %lanes, %vclamp, %top : f32, f64, f32, f32, vector<4xf32>, vector<4xf32>, f32
}

// fastmath<nnan,nsz> (softmax's shift, whose result is the same whichever
// operand a NaN or a tie of zeros picks): the larger alone, one compare and
// one select; without both flags the whole rule stays.

// CHECK-LABEL: func.func @loose
// CHECK-NEXT:    %[[LGT:.*]] = mask.cmpf "ogt", %v, %w : vector<4xf32> -> vector<4xi1>
// CHECK-NEXT:    %loose = mask.select %[[LGT]], %v, %w : vector<4xi1>, vector<4xf32>
// CHECK-NEXT:    %[[SGT:.*]] = arith.cmpf ogt, %a, %b : f32
// CHECK-NEXT:    %[[SPICK:.*]] = arith.select %[[SGT]], %a, %b : f32
// CHECK-NEXT:    arith.bitcast %a : f32 to i32
// CHECK:         %nnan_only = arith.select
// CHECK-NEXT:    func.return
func.func @loose(%a: f32, %b: f32, %v: vector<4xf32>, %w: vector<4xf32>) -> (vector<4xf32>, f32) {
  %loose = arith.maximumf %v, %w fastmath<nnan,nsz> : vector<4xf32>
  %nnan_only = arith.maximumf %a, %b fastmath<nnan> : f32
  func.return %loose, %nnan_only : vector<4xf32>, f32
}
