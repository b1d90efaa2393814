// mask.cmpf and mask.select, printed back in the custom form; each type error names the op.
// RUN: pelemay-opt %s --split-input-file --verify-diagnostics | filecheck %s
// RUN: not pelemay-opt %s --split-input-file 2>&1 | filecheck %s --check-prefix=ERR

// CHECK-LABEL: func.func @ops
// CHECK-NEXT:    %m = mask.cmpf "ogt", %a, %b : vector<8xf32> -> vector<8xi1>
// CHECK-NEXT:    %r = mask.select %m, %a, %b : vector<8xi1>, vector<8xf32>
func.func @ops(%a: vector<8xf32>, %b: vector<8xf32>) -> vector<8xf32> {
  %m = mask.cmpf "ogt", %a, %b : vector<8xf32> -> vector<8xi1>
  %r = mask.select %m, %a, %b : vector<8xi1>, vector<8xf32>
  func.return %r : vector<8xf32>
}

// -----

func.func @predicate(%a: vector<4xf32>) -> vector<4xi1> {
  // ERR: ops.mlir:[[# @LINE + 1]]:3: error: 'mask.cmpf' op predicate 'gt' is not one of oeq, ogt
  %m = mask.cmpf "gt", %a, %a : vector<4xf32> -> vector<4xi1>
  func.return %m : vector<4xi1>
}

// -----

func.func @lanes(%a: vector<8xf32>, %m: vector<4xi1>) -> vector<8xf32> {
  // ERR: ops.mlir:[[# @LINE + 1]]:3: error: 'mask.select' op the mask of vector<8xf32> is vector<8xi1>, not vector<4xi1>
  %r = mask.select %m, %a, %a : vector<4xi1>, vector<8xf32>
  func.return %r : vector<8xf32>
}
