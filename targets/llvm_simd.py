"""arm_simd ops in LLVM IR: each as the same vector IR on every machine, or as
the `llvm.aarch64.neon.*` / `llvm.arm.neon.*` intrinsic of the machine's NEON."""

from __future__ import annotations

from xdsl.dialects.builtin import Float16Type, Float32Type, Float64Type, IntegerAttr, IntegerType, VectorType
from xdsl.ir import Operation, SSAValue

from pelemay_ir.dialects import arm_simd
from pelemay_ir.passes.vector_emitter import deinterleave_masks, interleave_mask
from pelemay_ir.targets.llvm_types import neon_family


_NEON_BINARY = {
    (family, name, floats): intrinsic
    for family, table in {
        "aarch64": {("max", True): "fmax", ("min", True): "fmin", ("padd", True): "faddp",
                    ("padd", False): "addp", ("pmax", True): "fmaxp", ("pmax", False): "smaxp",
                    ("pmin", True): "fminp", ("pmin", False): "sminp"},
        "arm": {("max", True): "vmaxs", ("min", True): "vmins", ("padd", True): "vpadd",
                ("padd", False): "vpadd", ("pmax", True): "vpmaxs", ("pmax", False): "vpmaxs",
                ("pmin", True): "vpmins", ("pmin", False): "vpmins"},
    }.items()
    for (name, floats), short in table.items()
    for intrinsic in [f"llvm.{family}.neon.{short}"]
}
"""arm_simd ops that are one NEON intrinsic of each ISA: (family, op, float lanes) -> name."""


_INT_PREDICATES = {"eq": "eq", "ge": "sge", "gt": "sgt", "le": "sle", "lt": "slt"}
"""arm_simd.compare on integer lanes: signed, as the _s intrinsics."""


def type_suffix(t: str) -> str:
    return {"float": "f32", "half": "f16", "double": "f64"}.get(t, t)


class SimdPrinting:
    """FunctionPrinter's methods for arm_simd ops (a mixin)."""

    def neon(self, op: Operation) -> str:
        family = neon_family(self.m)
        if family is None:  # check_machine rejects these first; kept for direct callers
            raise self.error(op, f"cannot be printed for target '{self.m.name}', which has no NEON")
        return family

    def simd_types(self, v: SSAValue, op: Operation) -> tuple[str, str, VectorType]:
        """(LLVM vector type, LLVM lane type, the vector type) of an arm_simd value."""
        t = v.type
        assert isinstance(t, VectorType)
        return self.ty(t, op), self.lane_ty(t.element_type, op), t

    @staticmethod
    def vsuffix(t: VectorType) -> str:
        """An intrinsic's overload suffix: v4f32, v8f16, v16i8, ..."""
        elem = t.element_type
        lane = f"i{elem.width.data}" if isinstance(elem, IntegerType) else type_suffix(
            {Float32Type: "float", Float16Type: "half", Float64Type: "double"}[type(elem)])
        return f"v{t.get_shape()[0]}{lane}"

    def p_simd_load(self, op: arm_simd.LoadOp) -> None:
        vt, _, _ = self.simd_types(op.result, op)
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        self.results(op, self.emit(f"load {vt}, ptr {ptr}, align {align}"))

    def p_simd_store(self, op: arm_simd.StoreOp) -> None:
        vt, _, _ = self.simd_types(op.value, op)
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        self.inst(f"store {vt} {self.val(op.value, op)}, ptr {ptr}, align {align}")

    def p_simd_load2(self, op: arm_simd.Load2Op) -> None:
        """One load of both vectors, split into even and odd lanes by two
        shufflevectors (LLVM's interleaved-access pass makes them vld2 / ld2)."""
        vt, lane_t, t = self.simd_types(op.even, op)
        lanes = t.get_shape()[0]
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        wide = self.emit(f"load <{2 * lanes} x {lane_t}>, ptr {ptr}, align {align}")
        for result, lanes_taken in zip((op.even, op.odd), deinterleave_masks(lanes)):
            mask = ", ".join(f"i32 {k}" for k in lanes_taken)
            self.bind(result, self.emit(
                f"shufflevector <{2 * lanes} x {lane_t}> {wide}, <{2 * lanes} x {lane_t}> poison, <{lanes} x i32> <{mask}>"))

    def p_simd_load_x(self, op: arm_simd.LoadX2Op | arm_simd.LoadX4Op) -> None:
        """One load of all the vectors, split into consecutive pieces by
        shufflevectors (the backend picks the load instructions)."""
        _, lane_t, t = self.simd_types(op.v0, op)
        lanes, count = t.get_shape()[0], len(op.results)
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        wide_t = f"<{count * lanes} x {lane_t}>"
        wide = self.emit(f"load {wide_t}, ptr {ptr}, align {align}")
        for k, result in enumerate(op.results):
            mask = ", ".join(f"i32 {k * lanes + j}" for j in range(lanes))
            self.bind(result, self.emit(f"shufflevector {wide_t} {wide}, {wide_t} poison, <{lanes} x i32> <{mask}>"))

    def p_simd_store2(self, op: arm_simd.Store2Op) -> None:
        vt, lane_t, t = self.simd_types(op.even, op)
        lanes = t.get_shape()[0]
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        mask = ", ".join(f"i32 {k}" for k in interleave_mask(lanes))
        even, odd = self.val(op.even, op), self.val(op.odd, op)
        wide = self.emit(f"shufflevector {vt} {even}, {vt} {odd}, <{2 * lanes} x i32> <{mask}>")
        self.inst(f"store <{2 * lanes} x {lane_t}> {wide}, ptr {ptr}, align {align}")

    def p_simd_load_lane(self, op: arm_simd.LoadLaneOp) -> None:
        vt, lane_t, _ = self.simd_types(op.result, op)
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        x = self.emit(f"load {lane_t}, ptr {ptr}, align {align}")
        v = self.val(op.vector, op)
        self.results(op, self.emit(f"insertelement {vt} {v}, {lane_t} {x}, i32 {op.lane.value.data}"))

    def p_simd_store_lane(self, op: arm_simd.StoreLaneOp) -> None:
        vt, lane_t, _ = self.simd_types(op.value, op)
        ptr, align = self.vector_pointer(op.memref, op.indices, op)
        x = self.emit(f"extractelement {vt} {self.val(op.value, op)}, i32 {op.lane.value.data}")
        self.inst(f"store {lane_t} {x}, ptr {ptr}, align {align}")

    def p_simd_get_lane(self, op: Operation) -> None:
        """One lane as a scalar (an f16 lane widened to the float that holds it)."""
        source = op.operands[0]
        vt, _, t = self.simd_types(source, op)
        lane = op.properties["lane"]
        assert isinstance(lane, IntegerAttr)
        x = self.emit(f"extractelement {vt} {self.val(source, op)}, i32 {lane.value.data}")
        self.results(op, self.lane_as_scalar(x, t.element_type))

    def p_simd_set_lane(self, op: Operation) -> None:
        """`vector` with one lane replaced by a scalar: insertelement."""
        value, source = op.operands[0], op.operands[1]
        vt, lane_t, t = self.simd_types(source, op)
        lane = op.properties["lane"]
        assert isinstance(lane, IntegerAttr)
        x = self.scalar_in_lane(self.val(value, op), t.element_type)
        v = self.val(source, op)
        self.results(op, self.emit(f"insertelement {vt} {v}, {lane_t} {x}, i32 {lane.value.data}"))

    def p_simd_dup(self, op: arm_simd.DupOp) -> None:
        vt, lane_t, t = self.simd_types(op.result, op)
        scalar = self.scalar_in_lane(self.val(op.value, op), t.element_type)
        self.results(op, self.splat(scalar, vt, lane_t, t.get_shape()[0]))

    def p_simd_half(self, op: Operation) -> None:
        """get_low / get_high: a shufflevector of the lower or upper lanes."""
        source = op.operands[0]
        vt, _, t = self.simd_types(source, op)
        n = t.get_shape()[0]
        lanes = range(n // 2) if isinstance(op, arm_simd.GetLowOp) else range(n // 2, n)
        self.results(op, self.lanes_of(self.val(source, op), vt, lanes))

    def p_simd_combine(self, op: arm_simd.CombineOp) -> None:
        dt, _, t = self.simd_types(op.low, op)
        low, high = self.val(op.low, op), self.val(op.high, op)
        mask = self.lane_list(range(2 * t.get_shape()[0]))
        self.results(op, self.emit(f"shufflevector {dt} {low}, {dt} {high}, {mask}"))

    def p_simd_unary(self, op: Operation) -> None:
        """neg: fneg, or 0 - x (wrapping); abs: llvm.fabs, or llvm.abs with
        INT_MIN kept (wrapping, as vabsq_s32)."""
        source = op.operands[0]
        vt, _, t = self.simd_types(source, op)
        a = self.val(source, op)
        floats = not isinstance(t.element_type, IntegerType)
        if isinstance(op, arm_simd.NegOp):
            r = self.emit(f"fneg {vt} {a}" if floats else f"sub {vt} zeroinitializer, {a}")
        elif floats:
            r = self.call_intrinsic(f"llvm.fabs.{self.vsuffix(t)}", vt, [(vt, a)])
        else:
            r = self.call_intrinsic(f"llvm.abs.{self.vsuffix(t)}", vt, [(vt, a), ("i1", "false")])
        self.results(op, r)

    def p_simd_binary(self, op: Operation) -> None:
        """add, sub, mul, div: the IR instructions (integers wrap); max, min: NEON's
        own float max/min (NaN-propagating, as vmaxq_f32) or llvm.smax/smin;
        padd, pmax, pmin: the pairwise NEON intrinsics."""
        lhs, rhs = op.operands[0], op.operands[1]
        vt, _, t = self.simd_types(lhs, op)
        a, b = self.val(lhs, op), self.val(rhs, op)
        floats = not isinstance(t.element_type, IntegerType)
        name = op.name.removeprefix("arm_simd.")
        if name in ("add", "sub", "mul", "div"):  # div: float lanes only (vdivq_f32)
            self.results(op, self.emit(f"{'f' if floats else ''}{name} {vt} {a}, {b}"))
            return
        if name in ("max", "min") and not floats:
            intrinsic = f"llvm.s{name}.{self.vsuffix(t)}"
        else:
            intrinsic = f"{_NEON_BINARY[self.neon(op), name, floats]}.{self.vsuffix(t)}"
        self.results(op, self.call_intrinsic(intrinsic, vt, [(vt, a), (vt, b)]))

    def p_simd_accumulate(self, op: Operation) -> None:
        """fma: llvm.fma (fused); mla: a multiply, then an add (unfused, as
        vmlaq); mlal: the widening multiply of `mull`, then an add; sdot:
        llvm.aarch64.neon.sdot."""
        acc_v, lhs, _ = op.operands
        acc, a, b = (self.val(v, op) for v in op.operands)
        vt, _, t = self.simd_types(lhs, op)
        floats = not isinstance(t.element_type, IntegerType)
        if isinstance(op, arm_simd.FmaOp):
            r = self.call_intrinsic(f"llvm.fma.{self.vsuffix(t)}", vt, [(vt, a), (vt, b), (vt, acc)])
        elif isinstance(op, arm_simd.MlaOp):
            product = self.emit(f"{'fmul' if floats else 'mul'} {vt} {a}, {b}")
            r = self.emit(f"{'fadd' if floats else 'add'} {vt} {acc}, {product}")
        elif isinstance(op, arm_simd.MlalOp):
            wt, _, _ = self.simd_types(acc_v, op)
            product = self.widening_multiply(op, a, b, t, acc_v.type)  # pyright: ignore[reportArgumentType]
            r = self.emit(f"add {wt} {acc}, {product}")
        else:
            wt, _, wide = self.simd_types(acc_v, op)
            r = self.call_intrinsic(f"llvm.aarch64.neon.sdot.{self.vsuffix(wide)}.{self.vsuffix(t)}",
                                    wt, [(wt, acc), (vt, a), (vt, b)])
        self.results(op, r)

    def p_simd_mla_lane(self, op: arm_simd.MlaLaneOp) -> None:
        """acc + a * v[lane]: the lane splat by a shufflevector, then a
        multiply and an add (unfused, as vmlaq_lane_f32)."""
        vt, _, t = self.simd_types(op.lhs, op)
        dt, _, _ = self.simd_types(op.rhs, op)
        lane = op.lane.value.data
        splat = self.emit(f"shufflevector {dt} {self.val(op.rhs, op)}, {dt} poison, "
                          f"{self.lane_list([lane] * t.get_shape()[0])}")
        product = self.emit(f"fmul {vt} {self.val(op.lhs, op)}, {splat}")
        self.results(op, self.emit(f"fadd {vt} {self.val(op.acc, op)}, {product}"))

    def widening_multiply(self, op: Operation, a: str, b: str, t: VectorType, wide: VectorType) -> str:
        """vmull_s8 / vmull_s16: exact lane products at twice the width."""
        name = "llvm.aarch64.neon.smull" if self.neon(op) == "aarch64" else "llvm.arm.neon.vmulls"
        vt, wt = self.ty(t, op), self.ty(wide, op)
        return self.call_intrinsic(f"{name}.{self.vsuffix(wide)}", wt, [(vt, a), (vt, b)])

    def p_simd_mull(self, op: arm_simd.MullOp) -> None:
        t, wide = op.lhs.type, op.result.type
        assert isinstance(t, VectorType) and isinstance(wide, VectorType)
        self.results(op, self.widening_multiply(op, self.val(op.lhs, op), self.val(op.rhs, op), t, wide))

    def p_simd_compare(self, op: arm_simd.CompareOp) -> None:
        """An ordered fcmp (NaN compares false, as vceqq/vcgeq/...) or a signed
        icmp, then sext: all-ones lanes where it holds."""
        vt, _, t = self.simd_types(op.lhs, op)
        mt = self.ty(op.result.type, op)
        a, b = self.val(op.lhs, op), self.val(op.rhs, op)
        predicate = op.predicate.data
        if isinstance(t.element_type, IntegerType):
            test = self.emit(f"icmp {_INT_PREDICATES[predicate]} {vt} {a}, {b}")
        else:
            test = self.emit(f"fcmp o{predicate} {vt} {a}, {b}")
        lanes = t.get_shape()[0]
        self.results(op, self.emit(f"sext <{lanes} x i1> {test} to {mt}"))

    def p_simd_select(self, op: arm_simd.SelectOp) -> None:
        """vbslq: a bitwise select, (mask & a) | (~mask & b), on the bits of the
        lanes (for a mask from `compare`, the lane select)."""
        vt, _, t = self.simd_types(op.lhs, op)
        mt, mask_lane, mask_t = self.simd_types(op.mask, op)
        m, a, b = (self.val(v, op) for v in (op.mask, op.lhs, op.rhs))
        if vt != mt:
            a = self.emit(f"bitcast {vt} {a} to {mt}")
            b = self.emit(f"bitcast {vt} {b} to {mt}")
        ones = "<" + ", ".join([f"{mask_lane} -1"] * mask_t.get_shape()[0]) + ">"
        inverse = self.emit(f"xor {mt} {m}, {ones}")
        from_a = self.emit(f"and {mt} {m}, {a}")
        from_b = self.emit(f"and {mt} {inverse}, {b}")
        r = self.emit(f"or {mt} {from_a}, {from_b}")
        if vt != mt:
            r = self.emit(f"bitcast {mt} {r} to {vt}")
        self.results(op, r)

    def p_simd_reduce(self, op: Operation) -> None:
        """vaddvq/vmaxvq/vminvq: llvm.aarch64.neon.{f,s}{add,max,min}v; the
        integer forms return an i32, truncated to an i8 or i16 lane."""
        source = op.operands[0]
        vt, lane_t, t = self.simd_types(source, op)
        self.neon(op)
        kind = op.name.removeprefix("arm_simd.reduce_")
        if isinstance(t.element_type, IntegerType):
            r = self.call_intrinsic(f"llvm.aarch64.neon.s{kind}v.i32.{self.vsuffix(t)}", "i32",
                                    [(vt, self.val(source, op))])
            if lane_t != "i32":
                r = self.emit(f"trunc i32 {r} to {lane_t}")
        else:
            r = self.call_intrinsic(f"llvm.aarch64.neon.f{kind}v.{type_suffix(lane_t)}.{self.vsuffix(t)}",
                                    lane_t, [(vt, self.val(source, op))])
        self.results(op, r)

    def p_simd_convert(self, op: arm_simd.ConvertOp) -> None:
        """i32 -> f32: sitofp (nearest); f32 -> i32: llvm.fptosi.sat (toward
        zero, saturating, NaN -> 0, as vcvtq_s32_f32)."""
        vt, _, t = self.simd_types(op.input, op)
        rt, _, result = self.simd_types(op.result, op)
        a = self.val(op.input, op)
        if isinstance(t.element_type, IntegerType):
            self.results(op, self.emit(f"sitofp {vt} {a} to {rt}"))
        else:
            name = f"llvm.fptosi.sat.{self.vsuffix(result)}.{self.vsuffix(t)}"
            self.results(op, self.call_intrinsic(name, rt, [(vt, a)]))

    def p_simd_reinterpret(self, op: arm_simd.ReinterpretOp) -> None:
        vt, _, _ = self.simd_types(op.input, op)
        rt, _, _ = self.simd_types(op.result, op)
        self.results(op, self.emit(f"bitcast {vt} {self.val(op.input, op)} to {rt}"))

    def p_simd_shift_left(self, op: arm_simd.ShiftLeftOp) -> None:
        vt, lane_t, t = self.simd_types(op.input, op)
        amounts = ", ".join([f"{lane_t} {op.amount.value.data}"] * t.get_shape()[0])
        self.results(op, self.emit(f"shl {vt} {self.val(op.input, op)}, <{amounts}>"))


SIMD_HANDLERS = {
    "load": SimdPrinting.p_simd_load,
    "store": SimdPrinting.p_simd_store,
    "load2": SimdPrinting.p_simd_load2,
    "store2": SimdPrinting.p_simd_store2,
    "load_x2": SimdPrinting.p_simd_load_x,
    "load_x4": SimdPrinting.p_simd_load_x,
    "load_lane": SimdPrinting.p_simd_load_lane,
    "store_lane": SimdPrinting.p_simd_store_lane,
    "get_lane": SimdPrinting.p_simd_get_lane,
    "set_lane": SimdPrinting.p_simd_set_lane,
    "dup": SimdPrinting.p_simd_dup,
    "get_low": SimdPrinting.p_simd_half,
    "get_high": SimdPrinting.p_simd_half,
    "combine": SimdPrinting.p_simd_combine,
    "neg": SimdPrinting.p_simd_unary,
    "abs": SimdPrinting.p_simd_unary,
    **{name: SimdPrinting.p_simd_binary
       for name in ("add", "sub", "mul", "div", "max", "min", "padd", "pmax", "pmin")},
    **{name: SimdPrinting.p_simd_accumulate for name in ("fma", "mla", "mlal", "sdot")},
    "mla_lane": SimdPrinting.p_simd_mla_lane,
    "mull": SimdPrinting.p_simd_mull,
    "compare": SimdPrinting.p_simd_compare,
    "select": SimdPrinting.p_simd_select,
    **{name: SimdPrinting.p_simd_reduce for name in ("reduce_add", "reduce_max", "reduce_min")},
    "convert": SimdPrinting.p_simd_convert,
    "reinterpret": SimdPrinting.p_simd_reinterpret,
    "shift_left": SimdPrinting.p_simd_shift_left,
}
"""arm_simd ops by name (`arm_simd.` dropped): an op the dialect gains is
printed once it has an entry here, and is an error naming it until then."""
