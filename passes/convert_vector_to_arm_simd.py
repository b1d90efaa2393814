"""convert-vector-to-arm-simd: the portable vector level as NEON intrinsics.

The vectorizer writes loops in a small portable op set (vector.load, store,
broadcast, fma, reduction and arith on vector<Wxf32>). On a NEON machine each
of those ops at W = 4 is one intrinsic, or a short fixed sequence where the
machine lacks the intrinsic, so this pass maps them op for op and leaves
everything else (loops, scalar arith, memrefs) as it is:

- vector.load / store / broadcast: `load`, `store`, `dup`.
- vector.extract of one constant lane: `get_lane`. The matmul kernels
  broadcast such a lane into a multiply-add (AArch64 only,
  Vectors.lane_multiply), which the C compiler makes one `fmla` by element.
- arith.addf, subf, mulf, maximumf, minimumf, negf: `add`, `sub`, `mul`,
  `max`, `min`, `neg`. arith.maximumf and minimumf propagate NaN, and so do
  vmaxq_f32 / vminq_f32 (and vpmax / vpmin, vmaxvq / vminvq): a NaN lane gives
  NaN, never the other operand.
- arith.divf: `div` (vdivq_f32) on AArch64. ARMv7 NEON has no division, only a
  reciprocal estimate whose Newton-Raphson refinement is not correctly
  rounded; the quotient is therefore taken per lane (`get_lane`, a scalar
  arith.divf, which the VFP computes exactly as the scalar code would, and
  `dup` / `set_lane` to rebuild the vector), so the result is the same on
  every machine.
- vector.fma (a * b + acc): `fma` (one rounding) on machines with VFPv4;
  `mla` on armv7-a8 (Cortex-A8), which rounds the product before the add, so
  its result may differ from the fused one in the last bit.
- vector.fma by a broadcast lane (`vector.broadcast` of a constant
  `vector.extract`, as the matmul and conv2d kernels write on machines with
  Vectors.lane_multiply) on ARMv7: `mla_lane` of that lane's 64-bit half
  (`vmla.f32 q, q, d[l]`, the by-scalar form; ARMv7's fused `vfma` has
  none, so the product is rounded before the add, as on Cortex-A8). The
  broadcast and the extract go. AArch64 keeps `fma` of `dup(get_lane)`,
  which gcc makes one `fmla v.4s, v.4s, v.s[l]`.
- arith.bitcast between vector<4xf32> and vector<4xi32>: `reinterpret`;
  arith.shli of vector<4xi32> by a splat constant: `shift_left` (vshlq_n_s32,
  the amount an immediate), and the constant goes. These are how the vector
  exp (passes/vector_math.py) builds 2^n in the exponent field.
- vector.reduction <add|maximumf|minimumf>: `reduce_add` / `reduce_max` /
  `reduce_min` on AArch64; ARMv7 has no across-vector op, so the halves are
  combined pairwise (`get_low`, `get_high`, `padd` / `pmax` / `pmin` twice,
  `get_lane` 0). Both sum as (l0 + l1) + (l2 + l3).

- vector.load of vector<8xf32> whose only uses are the two vector.shuffle
  taking its even and its odd lanes: `load2` (vld2q_f32), whose results are
  those halves; vector.store of the vector.shuffle interleaving two
  vector<4xf32>: `store2` (vst2q_f32). The elementwise kernel writes these
  where vector accesses take no offset (ARMv7): one instruction moves two vectors.

- runs of vector.load of consecutive vectors of one row (passes/
  consecutive_loads.py): two are one `load_x2` (`vld1.32 {d0-d3}`) on
  ARMv7, whose vld1 takes no immediate offset; four multiplied by lanes (a
  row of B in the one-row matmul by lane) are one `load_x4` (`ld1
  {v0.4s-v3.4s}`) on AArch64, whose `ldp` pairs only two.

A vector of any other shape, an op outside the set, or a machine without
NEON is a CompileError at the op. The converted module is then checked
against the machine (verify-arm-simd), so what comes out builds for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, vector
from xdsl.dialects.builtin import ModuleOp, VectorType, f32
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from pelemay_ir.dialects import arm_simd
from pelemay_ir.dialects.ptensor import type_str
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.machines import machine as machine_named
from pelemay_ir.passes.consecutive_loads import consecutive_loads
from pelemay_ir.passes.vector_emitter import BITS_OPS, deinterleave_masks, interleave_mask, shift_amount
from pelemay_ir.passes.verify_arm_simd import check_machine

F32X4, I32X4 = arm_simd.F32X4, arm_simd.I32X4

_BINARY: dict[type[Operation], type[arm_simd.ArmSimdOp]] = {
    arith.AddfOp: arm_simd.AddOp,
    arith.SubfOp: arm_simd.SubOp,
    arith.MulfOp: arm_simd.MulOp,
    arith.MaximumfOp: arm_simd.MaxOp,
    arith.MinimumfOp: arm_simd.MinOp,
}
_REDUCTIONS = {
    vector.CombiningKindFlag.ADD: (arm_simd.ReduceAddOp, arm_simd.PairwiseAddOp, arith.AddfOp),
    vector.CombiningKindFlag.MAXIMUMF: (arm_simd.ReduceMaxOp, arm_simd.PairwiseMaxOp, arith.MaximumfOp),
    vector.CombiningKindFlag.MINIMUMF: (arm_simd.ReduceMinOp, arm_simd.PairwiseMinOp, arith.MinimumfOp),
}
_ARITH_ON_VECTORS = (*_BINARY, arith.DivfOp, arith.NegfOp, *BITS_OPS)
_VECTOR_OPS = (vector.LoadOp, vector.StoreOp, vector.BroadcastOp, vector.FMAOp, vector.ReductionOp,
               vector.ExtractOp)
PORTABLE_OPS = (
    "vector.load, vector.store, vector.broadcast, vector.fma, vector.reduction, "
    "vector.extract (one constant lane), "
    "arith.addf, arith.subf, arith.mulf, arith.divf, arith.maximumf, arith.minimumf, arith.negf, "
    "and on vector<4xi32> arith.bitcast and arith.shli by a splat constant"
)


def _constant_lane(op: vector.ExtractOp) -> int | None:
    """The lane a vector.extract takes, when it is one constant lane of a
    vector<4xf32> (a scalar result)."""
    positions = list(op.static_position.get_values())
    if op.dynamic_position or len(positions) != 1 or op.result.type != f32:
        return None
    return positions[0] if 0 <= positions[0] < 4 else None


def _is_shift_constant(op: Operation) -> bool:
    """A splat i32 vector constant that only shifts take (as their immediate)."""
    return (
        isinstance(op, arith.ConstantOp)
        and op.result.type == I32X4
        and all(isinstance(use.operation, arith.ShLIOp) and use.index == 1 for use in op.result.uses)
    )


F32X8 = VectorType(f32, [8])


def _deinterleaving(op: Operation) -> list[Operation] | None:
    """The shuffles of a vector<8xf32> load that take its even and odd lanes,
    when they are all its uses (the load and they become one load2)."""
    if not (isinstance(op, vector.LoadOp) and op.result.type == F32X8):
        return None
    shuffles = list(dict.fromkeys(use.operation for use in op.result.uses))  # each uses it twice
    halves = deinterleave_masks(4)
    if shuffles and all(
        isinstance(s, vector.ShuffleOp) and s.v1 == s.v2 == op.result and list(s.mask.get_values()) in halves
        for s in shuffles
    ):
        return shuffles
    return None


def _interleaving(op: Operation) -> vector.ShuffleOp | None:
    """The shuffle interleaving two vector<4xf32> that a vector<8xf32> store
    alone takes (the shuffle and the store become one store2)."""
    if not (isinstance(op, vector.StoreOp) and op.vector.type == F32X8):
        return None
    shuffle = op.vector.owner
    if (
        isinstance(shuffle, vector.ShuffleOp)
        and shuffle.v1.type == F32X4
        and list(shuffle.mask.get_values()) == interleave_mask(4)
        and shuffle.result.has_one_use()
    ):
        return shuffle
    return None


def _rewrite_load2(load: vector.LoadOp, shuffles: list[Operation]) -> None:
    pair = arm_simd.Load2Op(load.base, list(load.indices), F32X4)
    pair.location = load.location
    Rewriter.insert_op(pair, InsertPoint.before(load))
    even, _ = deinterleave_masks(4)
    for shuffle in shuffles:
        assert isinstance(shuffle, vector.ShuffleOp)
        half = pair.even if list(shuffle.mask.get_values()) == even else pair.odd
        Rewriter.replace_op(shuffle, [], [half])
    Rewriter.erase_op(load)


def _rewrite_store2(store: vector.StoreOp, shuffle: vector.ShuffleOp) -> None:
    pair = arm_simd.Store2Op(shuffle.v1, shuffle.v2, store.base, list(store.indices))
    pair.location = store.location
    Rewriter.replace_op(store, [pair])
    Rewriter.erase_op(shuffle)


def _load_runs(module: Operation, target: str) -> list[list[vector.LoadOp]]:
    """Runs of consecutive vector.load that become one multi-register load:
    two (load_x2) where vector loads take no immediate offset (ARMv7), so
    each saves its own address arithmetic too; four (load_x4) on AArch64 only
    for a row of B that multiplies lanes (the one-row matmul by lane, whose
    rows lie too far apart for `ldp`'s offset). Anywhere else AArch64 pairs
    two loads with `ldp` by itself, which the A53 and A72 issue faster than
    one four-register `ld1`."""
    vectors = machine_named(target).vectors
    if target in arm_simd.LoadX4Op.MACHINES:
        count, wanted = 4, _multiplies_lanes
    elif target in arm_simd.LoadX2Op.MACHINES and vectors is not None and not vectors.load_offsets:
        count, wanted = 2, None
    else:
        return []
    blocks = dict.fromkeys(o.parent_block() for o in module.walk() if isinstance(o, vector.LoadOp))
    runs = [run for block in blocks if block is not None for run in consecutive_loads(block, F32X4, count)]
    return [run for run in runs if wanted is None or all(wanted(load) for load in run)]


def _multiplies_lanes(load: vector.LoadOp) -> bool:
    """Whether every use of the load is a multiply-add by a broadcast lane."""
    def by_lane(use) -> bool:
        fma = use.operation
        if not isinstance(fma, vector.FMAOp) or use.index >= 2:
            return False
        other = fma.rhs if use.index == 0 else fma.lhs
        return isinstance(other.owner, vector.BroadcastOp) and _lane_broadcast(other.owner) is not None

    return bool(load.result.uses) and all(by_lane(use) for use in load.result.uses)


def _rewrite_load_x(run: list[vector.LoadOp]) -> None:
    first = run[0]
    many = (arm_simd.LoadX2Op if len(run) == 2 else arm_simd.LoadX4Op)(first.base, list(first.indices), F32X4)
    many.location = first.location
    Rewriter.insert_op(many, InsertPoint.before(first))
    for load, result in zip(run, many.results):
        Rewriter.replace_op(load, [], [result])


def _lane_broadcast(op: Operation) -> tuple[SSAValue, int] | None:
    """(vector, lane) when the op broadcasts one constant lane of a
    vector<4xf32> and only multiply-adds take it, as their factor."""
    if not (isinstance(op, vector.BroadcastOp) and isinstance(op.source.owner, vector.ExtractOp)):
        return None
    extract = op.source.owner
    lane = _constant_lane(extract)
    if lane is None or extract.vector.type != F32X4 or not op.vector.uses:
        return None
    if not all(isinstance(use.operation, vector.FMAOp) and use.index < 2 for use in op.vector.uses):
        return None
    return extract.vector, lane


def _rewrite_mla_lane(broadcast: vector.BroadcastOp, source: SSAValue, lane: int) -> None:
    """Each multiply-add by the broadcast lane as one `mla_lane` of its half;
    then the broadcast, and the extract if nothing else reads it."""
    for use in list(broadcast.vector.uses):
        fma = use.operation
        assert isinstance(fma, vector.FMAOp)
        other = fma.rhs if use.index == 0 else fma.lhs
        half = (arm_simd.GetLowOp if lane < 2 else arm_simd.GetHighOp)(source)
        mla = arm_simd.MlaLaneOp(fma.acc, other, half.result, lane % 2)
        for new in (half, mla):
            new.location = fma.location
        Rewriter.replace_op(fma, [half, mla], [mla.result])
    extract = broadcast.source.owner
    Rewriter.erase_op(broadcast)
    if isinstance(extract, vector.ExtractOp) and not extract.result.uses:
        Rewriter.erase_op(extract)


def _by_lane_ops(broadcasts) -> set[Operation]:
    """The ops the mla_lane rewrite replaces or removes: the broadcasts, their
    multiply-adds, and the extracts read only by those broadcasts."""
    taken = {*broadcasts, *(use.operation for b in broadcasts for use in b.results[0].uses)}
    for broadcast in broadcasts:
        extract = broadcast.operands[0].owner
        if all(use.operation in taken for use in extract.results[0].uses):
            taken.add(extract)
    return taken


def _is_vector(value: SSAValue) -> bool:
    return isinstance(value.type, VectorType)


def _on_vectors(op: Operation) -> bool:
    return any(_is_vector(v) for v in (*op.operands, *op.results))


def in_scope(op: Operation) -> bool:
    """Whether the op belongs to the vector level this pass converts: any op of
    the vector dialect, and arith / math ops on vectors."""
    dialect = op.name.split(".", 1)[0]
    return dialect == "vector" or (dialect in ("arith", "math") and _on_vectors(op))


@dataclass
class _Converter:
    """The rewrites for one NEON machine."""

    target: str

    @property
    def fused(self) -> bool:
        return self.target in arm_simd.FUSED_MACHINES

    @property
    def aarch64(self) -> bool:
        return self.target in arm_simd.AARCH64_MACHINES

    # --- checking -------------------------------------------------------------------

    def check(self, op: Operation) -> None:
        """Raise CompileError if the op has no NEON form on the target."""
        where = location_of(op)
        if self.target not in arm_simd.NEON_MACHINES:
            raise CompileError(
                f"'{op.name}' needs NEON, which target '{self.target}' lacks; NEON machines: "
                + ", ".join(arm_simd.NEON_MACHINES),
                where,
            )
        if not isinstance(op, (*_VECTOR_OPS, *_ARITH_ON_VECTORS)):
            raise CompileError(
                f"'{op.name}' on vectors is not in the portable vector op set; "
                f"convert-vector-to-arm-simd takes {PORTABLE_OPS}",
                where,
            )
        for value in (*op.operands, *op.results):
            allowed = (F32X4, I32X4) if isinstance(op, BITS_OPS) else (F32X4,)
            if _is_vector(value) and value.type not in allowed:
                raise CompileError(self._shape_message(op, value.type), where)
        if isinstance(op, arith.ShLIOp) and shift_amount(op) is None:
            raise CompileError(
                f"'{op.name}' has no NEON form on '{self.target}' unless it shifts by a splat constant below 32",
                where,
            )
        if isinstance(op, vector.BroadcastOp) and op.source.type != f32:
            raise CompileError(
                f"'{op.name}' from {type_str(op.source.type)} has no NEON form on "
                f"'{self.target}'; it broadcasts an f32 scalar",
                where,
            )
        if isinstance(op, vector.ExtractOp) and _constant_lane(op) is None:
            raise CompileError(
                f"'{op.name}' has no NEON form on '{self.target}' unless it takes one "
                "constant lane of a vector",
                where,
            )
        if isinstance(op, vector.ReductionOp) and op.kind.data not in _REDUCTIONS:
            raise CompileError(
                f"'{op.name}' <{op.kind.data}> has no NEON form on '{self.target}'; "
                "the vector level reduces with <add>, <maximumf>, <minimumf>",
                where,
            )

    def _shape_message(self, op: Operation, t: Attribute) -> str:
        return (
            f"'{op.name}' of {type_str(t)} has no NEON form on '{self.target}'; "
            "NEON vectors hold 4 f32"
        )

    # --- rewriting -------------------------------------------------------------------

    def rewrite(self, op: Operation) -> None:
        new_ops, result = self._replacement(op)
        for new in new_ops:
            new.location = op.location  # later diagnostics point at the source op
        Rewriter.replace_op(op, new_ops, [result] if op.results else [])

    def _replacement(self, op: Operation) -> tuple[list[Operation], SSAValue | None]:
        if type(op) in _BINARY:
            new = _BINARY[type(op)](op.lhs, op.rhs)  # pyright: ignore[reportAttributeAccessIssue]
            return [new], new.result
        convert: Callable[[Operation], list[Operation]] = {
            vector.LoadOp: self._load,
            vector.StoreOp: self._store,
            vector.BroadcastOp: self._broadcast,
            vector.FMAOp: self._fma,
            vector.ReductionOp: self._reduction,
            vector.ExtractOp: self._extract,
            arith.DivfOp: self._divide,
            arith.NegfOp: self._negate,
            arith.BitcastOp: self._reinterpret,
            arith.ShLIOp: self._shift_left,
        }[type(op)]  # pyright: ignore[reportAssignmentType]
        new_ops = convert(op)
        last = new_ops[-1]
        return new_ops, (last.results[0] if last.results else None)

    def _load(self, op: vector.LoadOp) -> list[Operation]:
        return [arm_simd.LoadOp(op.base, list(op.indices), F32X4)]

    def _store(self, op: vector.StoreOp) -> list[Operation]:
        return [arm_simd.StoreOp(op.vector, op.base, list(op.indices))]

    def _broadcast(self, op: vector.BroadcastOp) -> list[Operation]:
        return [arm_simd.DupOp(op.source, F32X4)]

    def _extract(self, op: vector.ExtractOp) -> list[Operation]:
        lane = _constant_lane(op)
        assert lane is not None  # checked
        return [arm_simd.GetLaneOp(op.vector, lane)]

    def _negate(self, op: arith.NegfOp) -> list[Operation]:
        return [arm_simd.NegOp(op.operand)]

    def _reinterpret(self, op: arith.BitcastOp) -> list[Operation]:
        return [arm_simd.ReinterpretOp(op.input, op.result.type)]  # pyright: ignore[reportArgumentType]

    def _shift_left(self, op: arith.ShLIOp) -> list[Operation]:
        amount = shift_amount(op)
        assert amount is not None  # checked
        return [arm_simd.ShiftLeftOp(op.lhs, amount)]

    def _fma(self, op: vector.FMAOp) -> list[Operation]:
        accumulate = arm_simd.FmaOp if self.fused else arm_simd.MlaOp
        return [accumulate(op.acc, op.lhs, op.rhs)]

    def _divide(self, op: arith.DivfOp) -> list[Operation]:
        if self.aarch64:
            return [arm_simd.DivOp(op.lhs, op.rhs)]
        ops: list[Operation] = []
        built: Operation | None = None
        for lane in range(4):
            x = arm_simd.GetLaneOp(op.lhs, lane)
            y = arm_simd.GetLaneOp(op.rhs, lane)
            q = arith.DivfOp(x.result, y.result)
            ops += [x, y, q]
            if built is None:
                built = arm_simd.DupOp(q.result, F32X4)
            else:
                built = arm_simd.SetLaneOp(q.result, built.results[0], lane)
            ops.append(built)
        return ops

    def _reduction(self, op: vector.ReductionOp) -> list[Operation]:
        across, pairwise, combine = _REDUCTIONS[op.kind.data]  # pyright: ignore[reportArgumentType]
        ops: list[Operation]
        if self.aarch64:
            ops = [across(op.vector)]
        else:
            low = arm_simd.GetLowOp(op.vector)
            high = arm_simd.GetHighOp(op.vector)
            pairs = pairwise(low.result, high.result)
            both = pairwise(pairs.result, pairs.result)
            ops = [low, high, pairs, both, arm_simd.GetLaneOp(both.result, 0)]
        if op.acc is not None:
            ops.append(combine(op.acc, ops[-1].results[0]))
        return ops


@dataclass(frozen=True)
class ConvertVectorToArmSimd(ModulePass):
    """Map the W = 4 f32 vector level onto arm_simd for the NEON of `target`."""

    name = "convert-vector-to-arm-simd"

    target: str

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        convert_vector_to_arm_simd(op, self.target)


def convert_vector_to_arm_simd(module: Operation, target: str) -> None:
    """Rewrite every vector-level op of `module` for `target`, then check the
    result against the machine. Every op is checked before any is rewritten, so
    an error leaves the module as it was."""
    machine_named(target)  # an unknown name is an error listing the valid ones
    converter = _Converter(target)
    ops = [o for o in module.walk() if in_scope(o)]
    constants = [o for o in ops if _is_shift_constant(o)]
    loads = {o: shuffles for o in ops if (shuffles := _deinterleaving(o)) is not None}
    stores = {o: shuffle for o in ops if (shuffle := _interleaving(o)) is not None}
    runs = _load_runs(module, target)
    paired = {
        *loads, *stores, *stores.values(), *(s for shuffles in loads.values() for s in shuffles),
        *(load for run in runs for load in run),
    }
    by_lane = {} if converter.aarch64 else {o: found for o in ops if (found := _lane_broadcast(o)) is not None}
    taken = _by_lane_ops(by_lane)
    ops = [o for o in ops if o not in constants and o not in paired and o not in taken]
    for o in ops:
        converter.check(o)
    for o in taken:
        converter.check(o)
    for broadcast, (source, lane) in by_lane.items():
        _rewrite_mla_lane(broadcast, source, lane)  # pyright: ignore[reportArgumentType]
    for load, shuffles in loads.items():
        _rewrite_load2(load, shuffles)  # pyright: ignore[reportArgumentType]
    for store, shuffle in stores.items():
        _rewrite_store2(store, shuffle)  # pyright: ignore[reportArgumentType]
    for run in runs:
        _rewrite_load_x(run)
    for o in ops:
        converter.rewrite(o)
    for o in constants:
        if not o.result.uses:
            Rewriter.erase_op(o)
    check_machine(module, target)
