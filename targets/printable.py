"""The closed set of ops and value types each printer accepts, declared once,
and the one check every printer runs before it prints: an op or a value
outside its printer's set is an error at the op's position, worded the same
for every printer. Each printer's handler table covers exactly its set
(test/python/test_printable.py checks it)."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith, vector
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    NoneAttr,
    TensorType,
    VectorType,
    i1,
    i32,
)
from xdsl.ir import Attribute, Operation, OpResult

from pelemay_ir import dtypes
from pelemay_ir.dialects import arm_simd
from pelemay_ir.passes.vector_emitter import shift_amount
from pelemay_ir.targets.c_names import fail


STRUCTURE = ("func.func", "func.return", "func.call", "scf.for", "scf.if", "scf.yield", "parallel.for")
MEMREFS = ("memref.global", "memref.get_global", "memref.load", "memref.store", "memref.view",
           "memref.reinterpret_cast", "memref.alloca")
SCALARS = (
    "arith.constant", "arith.addi", "arith.subi", "arith.muli", "arith.divsi", "arith.divui", "arith.remsi",
    "arith.remui", "arith.andi", "arith.ori", "arith.xori", "arith.shli", "arith.shrsi", "arith.shrui",
    "arith.maxsi", "arith.maxui", "arith.minsi", "arith.minui", "arith.addf", "arith.subf", "arith.mulf",
    "arith.divf", "arith.negf", "arith.maxnumf", "arith.minnumf", "arith.maximumf", "arith.minimumf", "arith.cmpi", "arith.cmpf", "arith.select",
    "arith.extf", "arith.truncf", "arith.extsi", "arith.extui", "arith.trunci", "arith.sitofp", "arith.uitofp",
    "arith.fptosi", "arith.fptoui", "arith.bitcast", "arith.index_cast", "index.sizeof",
    "math.absf", "math.absi", "math.acos", "math.acosh", "math.asin", "math.asinh", "math.atan", "math.atan2",
    "math.atanh", "math.cbrt", "math.ceil", "math.copysign", "math.cos", "math.cosh", "math.erf", "math.exp",
    "math.exp2", "math.expm1", "math.floor", "math.fma", "math.log", "math.log10", "math.log1p", "math.log2",
    "math.powf", "math.round", "math.roundeven", "math.rsqrt", "math.sin", "math.sinh", "math.sqrt", "math.tan",
    "math.tanh", "math.trunc",
)
"""Scalar arith, math and index ops (legalize has written out what a language
would differ on; maximumf and minimumf are left only on a machine with the
instruction, Machine.scalar_minmax)."""

VECTORS = ("vector.load", "vector.store", "vector.broadcast", "vector.fma", "vector.reduction",
           "vector.extract", "vector.shuffle")
"""The portable vector ops, on vector<Wxf32>."""
MASKS = ("mask.cmpf", "mask.select")
"""The ops that make or take vector<Wxi1> (dialects/mask.py)."""
ON_VECTORS = ("arith.constant", "arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.negf",
              "arith.bitcast", "arith.shli", "arith.andi", "arith.ori")
"""The scalar ops that also take portable vectors."""
ON_BITS = ("arith.constant", "arith.bitcast", "arith.shli", "arith.andi", "arith.ori", "mask.select")
"""The ops that take vector<Wxi32>: the bits of f32 lanes (and constant shift amounts)."""
REDUCTION_KINDS = ("add",)
"""`vector.reduction`'s kinds (legalize writes <maximumf> and <minimumf> out)."""
PORTABLE_LANES = (4, 8, 16)
"""The widths W of the portable vectors."""
ARM_SIMD = tuple(op.name for op in arm_simd.OPS)
GPU = ("gpu.module", "gpu.func", "gpu.return", "gpu.launch_func", "gpu.thread_id", "gpu.block_id",
       "gpu.block_dim", "gpu.grid_dim", "gpu.barrier", "gpu.shuffle")
WORKGROUP = IntegerAttr(3, 64)
"""The memory space of a GPU block's workgroup memory (`__shared__`): NVVM's address space 3."""
LLVM_ONLY = ("scf.while", "scf.condition", "memref.subview", "memref.cast", "memref.collapse_shape",
             "memref.expand_shape", "memref.assume_alignment", "memref.dim", "memref.copy",
             "math.ctlz", "math.cttz", "math.ctpop", "math.fpowi")
"""What the LLVM printer prints beyond the C set: loops without a static trip
count, memref views with strided layouts, and the integer intrinsics."""


@dataclass(frozen=True)
class Printable:
    """What one printer accepts."""

    target: str  # as `-t` names it
    ops: frozenset[str]
    row_major: bool  # memrefs of static shape, identity layout and no memory space only
    memory_spaces: tuple[Attribute, ...] = ()  # ...but these memory spaces
    lane_ops: tuple[str, ...] = ()  # vector ops it prints beyond the portable set


C = Printable("c", frozenset((*STRUCTURE, *MEMREFS, *SCALARS, *VECTORS, *MASKS, *ARM_SIMD)), row_major=True)
CUDA_LANES = ("vector.insert",)
"""What the cuda target also prints on vector<4xf32> (float4): a lane replaced."""
CUDA = Printable("cuda", C.ops | frozenset(GPU) | frozenset(CUDA_LANES), row_major=True, memory_spaces=(WORKGROUP,),
                 lane_ops=CUDA_LANES)
LLVM = Printable("llvm", C.ops | frozenset(LLVM_ONLY), row_major=False)


def is_portable_vector(t: Attribute) -> bool:
    """vector<Wxf32>, or vector<Wxi32> (its bits) or vector<Wxi1> (a mask), W in PORTABLE_LANES."""
    return (
        isinstance(t, VectorType)
        and (isinstance(t.element_type, Float32Type) or t.element_type in (i32, i1))
        and len(t.get_shape()) == 1
        and t.get_shape()[0] in PORTABLE_LANES
        and not any(t.get_scalable_dims())
    )


def is_neon_vector(t: Attribute) -> bool:
    """A 64- or 128-bit vector of f16, f32 or i8..i64: a NEON register's type."""
    if not isinstance(t, VectorType) or len(t.get_shape()) != 1 or any(t.get_scalable_dims()):
        return False
    elem = t.element_type
    if isinstance(elem, (Float16Type, Float32Type)):
        bits = elem.bitwidth
    elif isinstance(elem, IntegerType) and elem.width.data in (8, 16, 32, 64):
        bits = elem.width.data
    else:
        return False
    return t.get_shape()[0] * bits in (64, 128)


_LANES = f"W = {', '.join(map(str, PORTABLE_LANES[:-1]))} or {PORTABLE_LANES[-1]}"


def check(module: ModuleOp, p: Printable) -> None:
    """Raise a located CompileError for the first op outside p's set (before
    anything else: a type error deeper in would hide a missing lowering), then
    for the first op whose values or operands p cannot print."""
    ops = [op for op in module.walk() if op is not module]
    for op in ops:
        if op.name not in p.ops:
            raise fail(op, f"'{op.name}' op cannot be printed by the {p.target} target: {_hint(op.name, p)}")
    neon = any(op.name in ARM_SIMD for op in ops)
    for op in ops:
        reason = _vector_rule(op, p.lane_ops) if on_vectors(op) else None
        reason = reason or next(filter(None, (_type_rule(v.type, p, neon) for v in _values(op))), None)
        if reason:
            raise fail(op, f"'{op.name}' op cannot be printed by the {p.target} target: {reason}")


def _hint(name: str, p: Printable) -> str:
    dialect = name.split(".", 1)[0]
    if dialect == "ptensor":
        return "bufferize it and lower it to loops first ('bufferize', 'plan-memory', 'convert-pbuf-to-loops')"
    if dialect == "pbuf":
        return "lower the buffer-level op to loops first ('convert-pbuf-to-loops')"
    if name in ("memref.alloc", "memref.dealloc"):
        return "generated code never allocates; intermediates live in the arena ('plan-memory')"
    if dialect in ("linalg", "tensor", "bufferization"):
        return "lower it to loops first (e.g. 'convert-linalg-to-loops')"
    mine = sorted(n for n in p.ops if n.startswith(dialect + "."))
    if mine and len(mine) <= len(VECTORS):
        return f"of the {dialect} dialect it prints {', '.join(mine)}"
    if mine:
        return f"it prints {len(mine)} of the {dialect} dialect's ops, listed in targets/printable.py"
    dialects = sorted({n.split(".", 1)[0] for n in p.ops})
    return f"it prints only loop-level {'/'.join(dialects)} ops"


def on_vectors(op: Operation) -> bool:
    """A vector.* or mask.* op, or an arith or math op on vector values (arm_simd ops are not)."""
    if op.name.startswith(("vector.", "mask.")):
        return True
    return op.name.startswith(("arith.", "math.")) and any(
        isinstance(v.type, VectorType) for v in (*op.operands, *op.results))


def _values(op: Operation):
    yield from op.results
    for r in op.regions:
        for b in r.blocks:
            yield from b.args


def _vector_rule(op: Operation, lane_ops: tuple[str, ...] = ()) -> str | None:
    """Why `op` is outside the portable vector set (and the target's `lane_ops`), or None."""
    if op.name not in (*VECTORS, *MASKS, *ON_VECTORS, *lane_ops):
        return (f"on vectors it prints {', '.join(ON_VECTORS[1:6])} of vector<Wxf32>, and "
                f"{', '.join(ON_BITS[1:5])} on the bits of f32 lanes (vector<Wxi32>)")
    for v in (*op.operands, *op.results):
        t = v.type
        if not isinstance(t, VectorType):
            continue
        if not is_portable_vector(t):
            return (f"{t} is not a portable vector: those are vector<Wxf32> (vector<Wxi32> for their bits, "
                    f"vector<Wxi1> for masks) with {_LANES}")
        if t.element_type == i32 and op.name not in ON_BITS:
            return f"{t} holds the bits of f32 lanes, which only {', '.join(ON_BITS)} take"
        if t.element_type == i1 and op.name not in MASKS:
            return f"{t} is a mask, which only {', '.join(MASKS)} take"
    if isinstance(op, arith.BitcastOp) and op.input.type.get_shape() != op.result.type.get_shape():
        return "a bitcast keeps the lane count"
    if isinstance(op, arith.ShLIOp) and shift_amount(op) is None:
        return "a shift of vector lanes is by a constant splat amount in 0..31"
    if isinstance(op, vector.ReductionOp) and op.kind.data.value not in REDUCTION_KINDS:
        return (f"of kind <{op.kind.data.value}>: it reduces with <{'>, <'.join(REDUCTION_KINDS)}> "
                "(and <maximumf>, <minimumf> as legalize writes them out)")
    if isinstance(op, (vector.ExtractOp, vector.InsertOp)):
        position = list(op.static_position.get_values())
        lanes = (op.vector if isinstance(op, vector.ExtractOp) else op.dest).type.get_shape()[0]
        if op.dynamic_position or len(position) != 1 or not 0 <= position[0] < lanes:
            return "it takes one constant lane within the vector"
    if isinstance(op, vector.BroadcastOp) and not isinstance(op.source.type, Float32Type):
        return f"it broadcasts an f32 scalar, not {op.source.type}"
    if isinstance(op, arith.ConstantOp) and not isinstance(op.value, DenseIntOrFPElementsAttr):
        return f"a constant of {op.result.type} needs a dense value"
    if isinstance(op, (vector.LoadOp, vector.StoreOp)):
        return _access_rule(op)
    return None


def _access_rule(op: vector.LoadOp | vector.StoreOp) -> str | None:
    """The W lanes lie along the memref's last dimension; a constant last index must leave room."""
    t = op.base.type
    v = op.result.type if isinstance(op, vector.LoadOp) else op.vector.type
    lanes = v.get_shape()[0]
    shape = t.get_shape()
    if not shape or shape[-1] < lanes:
        return f"the {lanes} lanes of {v} must fit in the last dimension of {t}"
    last = op.indices[-1]
    if isinstance(last, OpResult) and isinstance(last.op, arith.ConstantOp) and isinstance(last.op.value, IntegerAttr):
        at = last.op.value.value.data
        if not 0 <= at <= shape[-1] - lanes:
            return f"{v} at index {at} of {t} is out of bounds"
    return None


def row_major_rule(t: MemRefType, target: str, spaces: tuple[Attribute, ...] = ()) -> str | None:
    """Why a printer of row-major memrefs cannot hold one of type t, or None."""
    if any(d < 0 for d in t.get_shape()):
        return f"a memref of dynamic shape ({t}); the {target} target needs static shapes"
    if not isinstance(t.layout, NoneAttr):
        return f"a memref with a non-identity layout ({t}); the {target} target needs row-major memrefs"
    if not isinstance(t.memory_space, NoneAttr) and t.memory_space not in spaces:
        return f"a memref with a memory space ({t})"
    return None


def _type_rule(t: Attribute, p: Printable, neon: bool) -> str | None:
    """Why p cannot hold a value of type t, or None."""
    if isinstance(t, TensorType):
        return (f"it holds a tensor ({t}); bufferize it and lower it to loops first "
                "('bufferize', 'plan-memory', 'convert-pbuf-to-loops')")
    if isinstance(t, MemRefType):
        if p.row_major and (reason := row_major_rule(t, p.target, p.memory_spaces)):
            return reason
        t = t.element_type
    if isinstance(t, VectorType):
        if is_portable_vector(t) or (neon and is_neon_vector(t)):
            return None
        also = "; arm_simd programs also hold 64- and 128-bit NEON vectors" if neon else ""
        return (f"vector type {t}: portable vectors are vector<Wxf32> (vector<Wxi32> for their bits, "
                f"vector<Wxi1> for masks) with {_LANES}{also}")
    if dtypes.key(t) is None:
        return f"type {t}: it prints the scalar types {', '.join(dtypes.SCALARS)}"
    return None

