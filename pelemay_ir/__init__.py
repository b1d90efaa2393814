"""Pelemay IR: a memory-saving, MLIR-style compiler for tensor programs.

`pelemay_ir.reference.evaluate` gives every program its meaning;
`pelemay_ir.builder.ProgramBuilder` builds programs from Python;
`pelemay-opt` (pelemay_ir.driver) runs pass pipelines on .mlir files;
`pelemay_ir.compile(module_or_path, target="host")` gives a callable on arrays;
`pelemay_ir.import_onnx(path_or_model)` turns an ONNX model into a module.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # `pelemay_ir.compile` without importing xDSL for `import pelemay_ir`.
    if name == "compile":
        from pelemay_ir.api import compile

        return compile
    if name == "import_onnx":
        from pelemay_ir.onnx_import import import_onnx

        return import_onnx
    raise AttributeError(f"module 'pelemay_ir' has no attribute '{name}'")
