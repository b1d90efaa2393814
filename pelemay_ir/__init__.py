"""Pelemay IR: a memory-saving, MLIR-style compiler for tensor programs.

`pelemay_ir.reference.evaluate` gives every program its meaning;
`pelemay_ir.builder.ProgramBuilder` builds programs from Python;
`pelemay-opt` (pelemay_ir.driver) runs pass pipelines on .mlir files.
"""

__version__ = "0.1.0"
