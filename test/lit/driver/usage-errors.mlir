// A bad command line names the bad pass, option or target and the valid
// choices, exits 1 and writes no output.
// RUN: not pelemay-opt %s -p canonicalise 2>&1 | filecheck %s --check-prefix=PASS
// RUN: not pelemay-opt %s -p "cse{max-depth=3}" 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not pelemay-opt %s -p "cse{" 2>&1 | filecheck %s --check-prefix=PIPELINE
// RUN: not pelemay-opt %s -t wasm 2>&1 | filecheck %s --check-prefix=TARGET
// RUN: not pelemay-opt %s --no-such-flag 2>&1 | filecheck %s --check-prefix=FLAG
// RUN: not pelemay-opt %s.missing 2>&1 | filecheck %s --check-prefix=MISSING
// RUN: rm -f %t.out
// RUN: not pelemay-opt %s -p canonicalise -o %t.out
// RUN: not test -e %t.out

// PASS: pelemay-opt: error: unknown pass 'canonicalise' (did you mean 'canonicalize'?); `pelemay-opt --list-passes` lists them all{{$}}
// PASS-NOT: Traceback
// OPTION: pelemay-opt: error: bad options for pass 'cse': {{.*}}"max_depth"{{.*}}; valid options: none
// PIPELINE: pelemay-opt: error: cannot parse pass pipeline 'cse{':
// TARGET: pelemay-opt: error: unknown target 'wasm'; available targets: mlir
// FLAG: pelemay-opt: error: unrecognized arguments: --no-such-flag
// MISSING: pelemay-opt: error: cannot read '{{.*}}usage-errors.mlir.missing': No such file or directory
func.func @f() {
  func.return
}
