"""plan-memory and verify-memory-plan: planned programs run on ONE byte arena
and still compute exactly what the reference computes; broken plans are caught."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xdsl.dialects.builtin import IntegerAttr, i64

from pelemay_ir import buffer_interpreter, dtypes, ir, reference
from pelemay_ir.dialects import pbuf
from pelemay_ir.ir import CompileError
from pelemay_ir.memory import planner
from pelemay_ir.passes.bufferize import BufferizePass
from pelemay_ir.passes.plan_memory import PlanMemoryPass, lifetimes
from pelemay_ir.passes.verify_memory_plan import VerifyMemoryPlanPass

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def context():
    ctx = ir.make_context()
    if "pbuf" not in ctx.registered_dialect_names:
        ctx.register_dialect("pbuf", lambda: pbuf.PBuf)
    return ctx


def random_inputs(module, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal(tuple(a.type.get_shape())).astype(dtypes.numpy_dtype(a.type.element_type))
        for a in reference.entry_function(module).body.block.args
    ]


def compile_and_compare(module, tmp_path: Path | None = None, **options):
    """bufferize + plan-memory + verify-memory-plan; the arena run must equal the reference."""
    ctx = context()
    inputs = random_inputs(module)
    want = reference.evaluate(module, inputs)
    BufferizePass().apply(ctx, module)
    report = None
    if tmp_path is not None:
        report = str(tmp_path / "plan.json")
    PlanMemoryPass(report=report, **options).apply(ctx, module)
    ir.verify(module)
    VerifyMemoryPlanPass().apply(ctx, module)
    got = buffer_interpreter.run(module, inputs)
    for w, g in zip(want, got, strict=True):
        assert w.dtype == g.dtype and w.shape == g.shape
        assert np.array_equal(w, g, equal_nan=True)
    data = json.loads(Path(report).read_text()) if report else None
    if data is not None:
        assert data["lower_bound_bytes"] <= data["arena_bytes"] <= data["naive_bytes"]
    return module, data


def ops_named(module, name: str):
    return [op for op in module.walk() if op.name == name]


TWO_BRANCHES = """
func.func @f(%x: tensor<64xf32>) -> tensor<1xf32> {
  %a = ptensor.exp %x : tensor<64xf32>
  %b = ptensor.neg %x : tensor<64xf32>
  %sa = ptensor.reduce_sum %a {axes = array<i64: 0>, keepdims} : tensor<64xf32> -> tensor<1xf32>
  %sb = ptensor.reduce_sum %b {axes = array<i64: 0>, keepdims} : tensor<64xf32> -> tensor<1xf32>
  %s = ptensor.add %sa, %sb : tensor<1xf32>, tensor<1xf32> -> tensor<1xf32>
  func.return %s : tensor<1xf32>
}
"""


def test_plan_rewrites_allocs_into_views_of_one_arena(tmp_path):
    module, data = compile_and_compare(ir.parse(TWO_BRANCHES, "two.mlir"), tmp_path)
    assert not ops_named(module, "pbuf.alloc")
    (arena,) = ops_named(module, "pbuf.arena")
    assert arena is reference.entry_function(module).body.block.first_op
    views = {v.buffer_name.data: v.offset.value.data for v in ops_named(module, "pbuf.view")}
    assert views == {b["name"]: b["offset"] for b in data["buffers"]}
    assert data["function"] == "f" and data["arena_bytes"] == arena.size.value.data
    by_name = {b["name"]: b for b in data["buffers"]}
    # steps: exp 0, neg 1, sum 2 (into the result), sum 3, add 4 (in place in the result)
    assert (by_name["a"]["first_use"], by_name["a"]["last_use"]) == (0, 2)
    assert (by_name["b"]["first_use"], by_name["b"]["last_use"]) == (1, 3)
    assert (by_name["sb"]["first_use"], by_name["sb"]["last_use"]) == (3, 4)
    assert data["lower_bound_bytes"] == 256 + 256
    assert set(by_name) == {"a", "b", "sb"}


def test_reorder_lowers_the_bound_of_the_emitted_order(tmp_path):
    _, plain = compile_and_compare(ir.parse(TWO_BRANCHES), tmp_path)
    module, reordered = compile_and_compare(ir.parse(TWO_BRANCHES), tmp_path, reorder=True)
    assert reordered["lower_bound_bytes"] < plain["lower_bound_bytes"]
    assert reordered["arena_bytes"] == reordered["lower_bound_bytes"] == 256 + 16
    steps = [op.name for op in reference.entry_function(module).body.block.ops if op.name.startswith("pbuf.") and op.name not in ("pbuf.view", "pbuf.arena")]
    assert steps == ["pbuf.exp", "pbuf.reduce_sum", "pbuf.neg", "pbuf.reduce_sum", "pbuf.add"]


def test_reorder_keeps_in_place_writes_after_their_readers():
    text = """
func.func @f(%x: tensor<32xf32>) -> (tensor<32xf32>, tensor<1xf32>) {
  %a = ptensor.exp %x : tensor<32xf32>
  %big = ptensor.concat %a, %a {axis = 0 : i64} : tensor<32xf32>, tensor<32xf32> -> tensor<64xf32>
  %s = ptensor.reduce_sum %big {axes = array<i64: 0>, keepdims} : tensor<64xf32> -> tensor<1xf32>
  %r = ptensor.relu %a : tensor<32xf32>
  %t = ptensor.tanh %r : tensor<32xf32>
  func.return %t, %s : tensor<32xf32>, tensor<1xf32>
}
"""
    module, _ = compile_and_compare(ir.parse(text), reorder=True)
    relu = ops_named(module, "pbuf.relu")[0]
    concat = ops_named(module, "pbuf.concat")[0]
    assert relu.output_ is relu.inputs_[0]  # in place over %a, so the concat must read %a first
    ops = list(reference.entry_function(module).body.block.ops)
    assert ops.index(concat) < ops.index(relu)


@pytest.mark.parametrize("algorithm", planner.ALGORITHMS)
def test_every_algorithm_gives_a_sound_plan(algorithm, tmp_path):
    text = (EXAMPLES / "lenet5.mlir")
    module, data = compile_and_compare(ir.load(text, context()), tmp_path, algorithm=algorithm)
    assert data["algorithm"] == algorithm


def _corrupt(module, name: str, offset: int):
    for view in ops_named(module, "pbuf.view"):
        if view.buffer_name.data == name:
            view.properties["offset"] = IntegerAttr(offset, i64)
            return
    raise AssertionError(name)


OVERLAP = """
func.func @f(%x: tensor<4xf32>) -> tensor<1xf32> {
  %a = ptensor.exp %x : tensor<4xf32>
  %b = ptensor.neg %x : tensor<4xf32>
  %c = ptensor.max %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %d = ptensor.reduce_sum %c {axes = array<i64: 0>, keepdims} : tensor<4xf32> -> tensor<1xf32>
  func.return %d : tensor<1xf32>
}
"""


def test_planted_overlap_is_caught_and_would_corrupt_results():
    module, _ = compile_and_compare(ir.parse(OVERLAP, "ov.mlir"))
    offsets = {v.buffer_name.data: v.offset.value.data for v in ops_named(module, "pbuf.view")}
    assert offsets["a"] != offsets["b"]
    _corrupt(module, "b", offsets["a"])
    with pytest.raises(CompileError) as e:
        VerifyMemoryPlanPass().apply(context(), module)
    message = str(e.value)
    assert message.startswith("ov.mlir:2:1: error: the memory plan of @f is wrong")
    assert "'a'" in message and "'b'" in message and "overlap" in message
    inputs = random_inputs(ir.parse(OVERLAP))
    want = reference.evaluate(ir.parse(OVERLAP), inputs)[0]
    got = buffer_interpreter.run(module, inputs)[0]
    assert not np.array_equal(want, got)  # the arena really is shared: the wrong plan shows


def test_planted_misalignment_and_out_of_arena_are_caught():
    module, _ = compile_and_compare(ir.parse(OVERLAP, "ov.mlir"))
    (arena,) = ops_named(module, "pbuf.arena")
    assert arena.size.value.data == 32
    _corrupt(module, "a", 4)
    with pytest.raises(CompileError, match="'a' is at offset 4, which is not a multiple of the alignment 16"):
        VerifyMemoryPlanPass().apply(context(), module)
    _corrupt(module, "a", 32)
    with pytest.raises(CompileError):
        ir.verify(module)  # the view itself leaves the arena: the dialect rejects it


def test_verify_rejects_unplanned_buffers_and_plan_rejects_tensors():
    module = ir.parse(OVERLAP, "ov.mlir")
    with pytest.raises(CompileError) as e:
        PlanMemoryPass().apply(context(), module)
    assert str(e.value).startswith("ov.mlir:3:3: error: 'ptensor.exp' works on tensors")
    assert "run bufferize first" in str(e.value)
    BufferizePass().apply(context(), module)
    with pytest.raises(CompileError, match="no place in the arena .*'a'.*run plan-memory first"):
        VerifyMemoryPlanPass().apply(context(), module)


def test_unknown_algorithm_and_bad_alignment_name_the_choices():
    module = ir.parse(OVERLAP)
    BufferizePass().apply(context(), module)
    with pytest.raises(CompileError) as e:
        PlanMemoryPass(algorithm="first-come").apply(context(), module)
    assert "unknown algorithm 'first-come'" in str(e.value)
    for name in planner.ALGORITHMS:
        assert name in str(e.value)
    with pytest.raises(CompileError, match="power of two"):
        PlanMemoryPass(alignment=12).apply(context(), module)
    assert ops_named(module, "pbuf.alloc")  # nothing was planned


def test_io_in_arena_places_inputs_and_outputs_disjointly(tmp_path):
    text = """
func.func @f(%x: tensor<8xf32>, %y: tensor<8xf32>, %unused: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %a = ptensor.add %x, %y : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  %b = ptensor.exp %a : tensor<8xf32>
  func.return %b, %x : tensor<8xf32>, tensor<8xf32>
}
"""
    module, data = compile_and_compare(ir.parse(text), tmp_path, io_in_arena=True)
    function = reference.entry_function(module)
    offsets = [d.data["pbuf.arena_offset"].value.data for d in function.arg_attrs.data]
    kinds = {b["name"]: b["kind"] for b in data["buffers"]}
    assert kinds == {"x": "input", "y": "input", "unused": "input", "out0": "output", "out1": "output"}  # %a is computed in out0
    spans = {b["name"]: (b["offset"], b["offset"] + b["size"], b["first_use"]) for b in data["buffers"]}
    ins = [spans[n] for n in ("x", "y", "unused")]
    assert all(s[2] == 0 for s in ins)  # inputs live from step 0: a caller may fill them all first
    for group in (ins, [spans["out0"], spans["out1"]]):
        for i, (s1, e1, _) in enumerate(group):
            for s2, e2, _ in group[i + 1 :]:
                assert e1 <= s2 or e2 <= s1
    assert offsets == [spans[n][0] for n in ("x", "y", "unused", "out0", "out1")]
    # inputs copied in first; outputs copied out last
    block_ops = [op for op in function.body.block.ops if op.name == "pbuf.copy"]
    assert block_ops[0].source is function.body.block.args[0]
    assert block_ops[-1].target is function.body.block.args[4]


def test_report_table_and_plot_files_and_several_functions(tmp_path):
    text = TWO_BRANCHES + OVERLAP.replace("@f", "@main")
    module = ir.parse(text)
    BufferizePass().apply(context(), module)
    PlanMemoryPass(
        report=str(tmp_path / "out" / "r.json"),
        table=str(tmp_path / "t.txt"),
        plot=str(tmp_path / "p.svg"),
    ).apply(context(), module)
    data = json.loads((tmp_path / "out" / "r.json").read_text())
    assert data["function"] == "main"
    assert [f["function"] for f in data["functions"]] == ["f", "main"]
    assert data["functions"][1]["arena_bytes"] == data["arena_bytes"]
    for key in ("arena_bytes", "lower_bound_bytes", "naive_bytes", "buffers"):
        assert key in data
    for buf in data["buffers"]:
        assert set(buf) >= {"name", "size", "offset", "first_use", "last_use"}
    table = (tmp_path / "t.txt").read_text()
    assert "@f\n" in table and "@main\n" in table and "lower bound" in table
    assert (tmp_path / "p.svg").read_text().lstrip().startswith("<")
    VerifyMemoryPlanPass().apply(context(), module)


def test_unwritable_report_path_is_a_clear_error(tmp_path):
    module = ir.parse(OVERLAP)
    BufferizePass().apply(context(), module)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CompileError, match="cannot write"):
        PlanMemoryPass(report=str(blocker / "r.json")).apply(context(), module)


def test_dead_results_and_the_liveness_rule():
    text = """
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %dead = ptensor.exp %x : tensor<4xf32>
  %v = ptensor.neg %x : tensor<4xf32>
  %r = ptensor.reshape %v : tensor<4xf32> -> tensor<2x2xf32>
  %w = ptensor.tanh %x : tensor<4xf32>
  %s = ptensor.reshape %r : tensor<2x2xf32> -> tensor<4xf32>
  %o = ptensor.add %s, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  func.return %o : tensor<4xf32>
}
"""
    module = ir.parse(text)
    BufferizePass().apply(context(), module)
    spans = {v.owner.buffer_name.data: s for v, s in lifetimes(reference.entry_function(module).body.block).items()}
    # the read of %v through two views at step 3 keeps it alive; %dead lives at its writer only
    assert spans == {"dead": (0, 0), "v": (1, 3), "w": (2, 3)}
    compile_and_compare(ir.parse(text))


@pytest.mark.parametrize(
    "name", ["mlp", "lenet5", "resblock", pytest.param("mobilenet_v1", marks=pytest.mark.slow), pytest.param("mobilenet_v2", marks=pytest.mark.slow)]
)
def test_bundled_models_reach_the_lower_bound(name, tmp_path):
    """A memory regression gate: the default planner places every model at its bound."""
    module, data = compile_and_compare(ir.load(EXAMPLES / f"{name}.mlir", context()), tmp_path)
    assert data["arena_bytes"] == data["lower_bound_bytes"]
    assert data["arena_bytes"] < data["naive_bytes"] or len(data["buffers"]) <= 2


# --- random programs ---------------------------------------------------------------

UNARY = ("relu", "neg", "abs", "tanh", "exp", "sin", "atan")
BINARY = ("add", "sub", "mul", "max", "min")


def _ttype(shape) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + "f32>"


@st.composite
def random_programs(draw):
    """Well-typed straight-line ptensor programs over a few shapes."""
    dims = st.sampled_from([1, 2, 3, 4, 6])
    shape = st.lists(dims, min_size=1, max_size=3).map(tuple)
    values: list[tuple[str, tuple[int, ...]]] = []
    args = []
    for i in range(draw(st.integers(1, 3))):
        s = draw(shape)
        args.append(f"%in{i}: {_ttype(s)}")
        values.append((f"%in{i}", s))
    lines = []
    for n in range(draw(st.integers(1, 12))):
        name, s = draw(st.sampled_from(values))
        kind = draw(st.sampled_from(["unary", "binary", "binary", "matmul", "reshape", "concat"]))
        out = f"%v{n}"
        if kind == "unary":
            op = draw(st.sampled_from(UNARY))
            lines.append(f"{out} = ptensor.{op} {name} : {_ttype(s)}")
            values.append((out, s))
        elif kind == "binary":
            partners = [v for v in values if v[1] == s or v[1] == s[-1:]]
            other, os_ = draw(st.sampled_from(partners))
            (a, sa), (b, sb) = ((name, s), (other, os_)) if draw(st.booleans()) else ((other, os_), (name, s))
            op = draw(st.sampled_from(BINARY))
            lines.append(f"{out} = ptensor.{op} {a}, {b} : {_ttype(sa)}, {_ttype(sb)} -> {_ttype(s)}")
            values.append((out, s))
        elif kind == "matmul":
            m, k = (s[0], s[-1]) if len(s) >= 2 else (1, s[0])
            lhs = name
            if s != (m, k):
                lhs = f"%m{n}"
                lines.append(f"{lhs} = ptensor.reshape {name} : {_ttype(s)} -> {_ttype((int(np.prod(s)) // k, k))}")
                m = int(np.prod(s)) // k
            cols = draw(dims)
            literal = draw(st.lists(st.integers(-3, 3), min_size=k * cols, max_size=k * cols))
            rows = ", ".join("[" + ", ".join(f"{v}.0" for v in literal[r * cols : (r + 1) * cols]) + "]" for r in range(k))
            lines.append(f"%w{n} = ptensor.constant dense<[{rows}]> : {_ttype((k, cols))}")
            lines.append(
                f"{out} = ptensor.matmul {lhs}, %w{n} : {_ttype((m, k))}, {_ttype((k, cols))} -> {_ttype((m, cols))}"
            )
            values.append((out, (m, cols)))
        elif kind == "reshape":
            total = int(np.prod(s))
            target = draw(st.sampled_from([(total,), (1, total), tuple(reversed(s))]))
            lines.append(f"{out} = ptensor.reshape {name} : {_ttype(s)} -> {_ttype(target)}")
            values.append((out, target))
        else:
            partners = [v for v in values if len(v[1]) == len(s) and v[1][1:] == s[1:]]
            other, os_ = draw(st.sampled_from(partners))
            result = (s[0] + os_[0], *s[1:])
            lines.append(
                f"{out} = ptensor.concat {name}, {other} {{axis = 0 : i64}} : {_ttype(s)}, {_ttype(os_)} -> {_ttype(result)}"
            )
            values.append((out, result))
    returned = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
    results = ", ".join(_ttype(s) for _, s in returned)
    body = "\n  ".join(lines)
    return (
        f"func.func @random({', '.join(args)}) -> ({results}) {{\n  {body}\n"
        f"  func.return {', '.join(n for n, _ in returned)} : {results}\n}}\n"
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    program=random_programs(),
    algorithm=st.sampled_from(planner.ALGORITHMS),
    reorder=st.booleans(),
    io_in_arena=st.booleans(),
)
def test_random_programs_plan_soundly_and_compute_the_reference(program, algorithm, reorder, io_in_arena, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plan")
    module = ir.parse(program, "random.mlir")
    module, data = compile_and_compare(module, tmp, algorithm=algorithm, reorder=reorder, io_in_arena=io_in_arena)
    assert data["arena_bytes"] >= data["lower_bound_bytes"]
    assert data["arena_bytes"] % 16 == 0
    # A random wrong plan: move one buffer onto another that is alive at the same step.
    rows = data["buffers"]
    clashing = [
        (a, b)
        for a in rows
        for b in rows
        if a["name"] < b["name"]
        and a["offset"] != b["offset"]
        and a["first_use"] <= b["last_use"]
        and b["first_use"] <= a["last_use"]
    ]
    if clashing:
        a, b = clashing[0]
        _corrupt(module, b["name"], a["offset"])
        with pytest.raises(CompileError, match="overlap"):
            VerifyMemoryPlanPass().apply(context(), module)
