"""The XNNPACK anchor: a ptensor program as an XNNPACK subgraph, run under qemu-user.

`translate` turns a program's entry function into the C source of a driver
that defines the same network with XNNPACK's subgraph API (NHWC, like our
programs) and the program's weights, rearranged into XNNPACK's layouts in a
constants file the driver reads. A matmul by a weight whose one use adds a
1-D weight becomes a fully-connected node with that bias (what a converter
to XNNPACK does); relu and relu6 are clamp nodes, which XNNPACK's own
subgraph optimisation fuses into the producer. The driver creates the
runtime with no thread pool, runs it once to warm up, then makes the
counted call: `anchor_run`, the one function `main` calls that the
instruction count spans, which calls `xnn_invoke_runtime`. The library is
Debian's (bench/anchors.py).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp, TensorType, f32
from xdsl.ir import SSAValue

import anchors

DEBIAN_ARCH = {"aarch64": "arm64", "armv7": "armhf"}


class NotExpressible(ValueError):
    """The program uses an op (or a form of one) this translation does not spell."""


@dataclass
class XnnProgram:
    """The generated driver, its constants, and the sizes of its inputs and outputs."""

    source: str
    constants: bytes
    input_shapes: list[tuple[int, ...]]
    output_shapes: list[tuple[int, ...]]


def _shape(v: SSAValue) -> tuple[int, ...]:
    t = v.type
    if not isinstance(t, TensorType) or t.element_type != f32:
        raise NotExpressible(f"only f32 tensors are spelt here, got {t}")
    return tuple(int(d) for d in t.get_shape())


@dataclass
class _Graph:
    """What `translate` accumulates: C statements, constants, value names."""

    statements: list[str] = field(default_factory=list)
    declarations: list[str] = field(default_factory=list)
    constants: bytearray = field(default_factory=bytearray)
    ids: dict[SSAValue, str] = field(default_factory=dict)
    count: int = 0

    def constant(self, array: np.ndarray) -> str:
        """A static tensor over `array` (f32, stored in the constants file)."""
        data = np.ascontiguousarray(array, np.float32)
        while len(self.constants) % 16:
            self.constants += b"\0"
        at = len(self.constants) // 4
        self.constants += data.tobytes()
        return self.tensor(data.shape, f"consts + {at}")

    def tensor(self, shape: Sequence[int], data: str = "NULL", external: int | None = None,
               flag: str = "0") -> str:
        name = f"v{self.count}"
        self.count += 1
        dims = ", ".join(str(int(d)) for d in shape) or "1"
        self.declarations.append(f"static const size_t {name}_dims[] = {{{dims}}};")
        ext = "XNN_INVALID_VALUE_ID" if external is None else str(external)
        self.statements.append(
            f"uint32_t {name} = tensor(g, {max(len(shape), 1)}, {name}_dims, {data}, {ext}, {flag});")
        return name

    def node(self, call: str, what: str) -> None:
        self.statements.append(f"check({call}, \"{what}\");")


def _users(v: SSAValue) -> list:
    return [use.operation for use in v.uses]


def translate(module: ModuleOp) -> XnnProgram:
    """The entry function of `module` as an XNNPACK driver (or NotExpressible)."""
    from pelemay_ir import reference, weights
    from pelemay_ir.dialects import ptensor as pt

    function = reference.entry_function(module)
    block = function.body.block
    g = _Graph()
    constants: dict[SSAValue, np.ndarray] = {}
    returned = [op for op in block.ops if op.name == "func.return"][0].operands
    if len(set(returned)) != len(returned):
        raise NotExpressible("a value returned twice")
    n_in = len(block.args)
    external_out = {v: n_in + k for k, v in enumerate(returned)}
    input_shapes = []
    for k, arg in enumerate(block.args):
        input_shapes.append(_shape(arg))
        g.ids[arg] = g.tensor(_shape(arg), external=k, flag="XNN_VALUE_FLAG_EXTERNAL_INPUT")
    skipped: set = set()

    def result_tensor(v: SSAValue) -> str:
        if v in external_out:
            name = g.tensor(_shape(v), external=external_out[v], flag="XNN_VALUE_FLAG_EXTERNAL_OUTPUT")
        else:
            name = g.tensor(_shape(v))
        g.ids[v] = name
        return name

    def value(v: SSAValue) -> str:
        if v in g.ids:
            return g.ids[v]
        if v in constants:
            return g.constant(constants[v])
        raise NotExpressible("an operand that is neither a value nor a weight")

    def constant_of(v: SSAValue, what: str) -> np.ndarray:
        if v not in constants:
            raise NotExpressible(f"{what} computed by the program (XNNPACK wants static weights)")
        return constants[v]

    no_clamp = "-INFINITY, INFINITY"

    def activation(v: SSAValue) -> tuple[str, str]:
        """The output range and tensor of a node computing `v`: a relu or
        relu6 that is `v`'s one use is fused in, as a converter does."""
        users = _users(v)
        if (len(users) == 1 and isinstance(users[0], (pt.ReluOp, pt.Relu6Op))
                and v not in external_out):
            relu = users[0]
            skipped.add(relu)
            hi = "INFINITY" if isinstance(relu, pt.ReluOp) else "6.0f"
            return f"0.0f, {hi}", result_tensor(relu.results[0])
        return no_clamp, result_tensor(v)
    for op in block.ops:
        if op.name == "func.return":
            break
        if op in skipped:
            continue
        result = op.results[0]
        if isinstance(op, pt.WeightOp):
            constants[result] = np.array(
                weights.read(module, op.key.data, op.offset.value.data, result.type), np.float32)
            continue
        _shape(result)
        if isinstance(op, pt.Conv2DOp):
            w = constant_of(op.filter, "a convolution filter")
            kh, kw, cg, f = w.shape
            groups = op.groups.value.data
            top, bottom, left, right = pt.ints(op.padding)
            sh, sw = pt.ints(op.strides)
            dh, dw = pt.ints(op.dilations)
            x = value(op.input)
            bias = (g.constant(constant_of(op.bias, "a convolution bias"))
                    if op.bias is not None else "XNN_INVALID_VALUE_ID")
            if cg == 1 and groups > 1:
                filt = g.constant(w.reshape(1, kh, kw, f))
                clamp, out = activation(result)
                g.node(f"xnn_define_depthwise_convolution_2d(g, {top}, {right}, {bottom}, {left}, "
                       f"{kh}, {kw}, {sh}, {sw}, {dh}, {dw}, {f // groups}, {groups}, {clamp}, "
                       f"{x}, {filt}, {bias}, {out}, 0)", "depthwise convolution")
            else:
                filt = g.constant(w.transpose(3, 0, 1, 2))
                clamp, out = activation(result)
                g.node(f"xnn_define_convolution_2d(g, {top}, {right}, {bottom}, {left}, "
                       f"{kh}, {kw}, {sh}, {sw}, {dh}, {dw}, {groups}, {cg}, {f // groups}, "
                       f"{clamp}, {x}, {filt}, {bias}, {out}, 0)", "convolution")
        elif isinstance(op, pt.MatmulOp):
            w = constant_of(op.rhs, "a matmul's right operand")
            if w.ndim != 2 or len(_shape(op.lhs)) != 2:
                raise NotExpressible("only 2-D matmuls are spelt here")
            bias, target = "XNN_INVALID_VALUE_ID", result
            users = _users(result)
            if len(users) == 1 and isinstance(users[0], pt.AddOp) and result not in external_out:
                add = users[0]
                other = add.rhs if add.lhs is result else add.lhs
                if other in constants and constants[other].shape == (w.shape[1],):
                    bias, target = g.constant(constants[other]), add.results[0]
                    skipped.add(add)
            x = value(op.lhs)
            filt = g.constant(w)
            clamp, out = activation(target)
            g.node(f"xnn_define_fully_connected(g, {clamp}, {x}, {filt}, {bias}, {out}, "
                   "XNN_FLAG_TRANSPOSE_WEIGHTS)", "fully connected")
        elif isinstance(op, pt.AddOp):
            a, b = value(op.lhs), value(op.rhs)
            clamp, out = activation(result)
            g.node(f"xnn_define_add2(g, {clamp}, {a}, {b}, {out}, 0)", "add")
        elif isinstance(op, (pt.ReluOp, pt.Relu6Op)):
            hi = "INFINITY" if isinstance(op, pt.ReluOp) else "6.0f"
            x = value(op.input)
            out = result_tensor(result)
            g.node(f"xnn_define_clamp(g, 0.0f, {hi}, {x}, {out}, 0)", "clamp")
        elif isinstance(op, (pt.AvgPool2DOp, pt.MaxPool2DOp)):
            kh, kw = pt.ints(op.kernel)
            sh, sw = pt.ints(op.strides)
            top, bottom, left, right = pt.ints(op.padding)
            _, h, w_, _ = _shape(op.input)
            x = value(op.input)
            out = result_tensor(result)
            if isinstance(op, pt.MaxPool2DOp):
                g.node(f"xnn_define_max_pooling_2d(g, {top}, {right}, {bottom}, {left}, {kh}, {kw}, "
                       f"{sh}, {sw}, 1, 1, {no_clamp}, {x}, {out}, 0)", "max pooling")
            elif (kh, kw) == (h, w_) and not any((top, bottom, left, right)):
                g.node(f"xnn_define_global_average_pooling_2d(g, {no_clamp}, {x}, {out}, 0)",
                       "global average pooling")
            else:
                g.node(f"xnn_define_average_pooling_2d(g, {top}, {right}, {bottom}, {left}, "
                       f"{kh}, {kw}, {sh}, {sw}, {no_clamp}, {x}, {out}, 0)", "average pooling")
        elif isinstance(op, pt.ReshapeOp):
            x = value(op.input)
            out = result_tensor(result)
            g.node(f"xnn_define_static_reshape(g, {len(_shape(result))}, {out}_dims, {x}, {out}, 0)",
                   "reshape")
        elif isinstance(op, pt.SoftmaxOp):
            rank = len(_shape(result))
            axis = op.axis.value.data
            if axis not in (-1, rank - 1):
                raise NotExpressible("softmax over an axis other than the last")
            x = value(op.input)
            out = result_tensor(result)
            g.node(f"xnn_define_softmax(g, {x}, {out}, 0)", "softmax")
        else:
            raise NotExpressible(f"'{op.name}' has no XNNPACK spelling here")
    for v in returned:
        if v not in g.ids or v in block.args:
            raise NotExpressible("a returned value that no node computes")
    output_shapes = [_shape(v) for v in returned]
    return XnnProgram(_source(g, input_shapes, output_shapes, len(g.constants)),
                      bytes(g.constants), input_shapes, output_shapes)


def _source(g: _Graph, input_shapes, output_shapes, const_bytes: int) -> str:
    n_in, n_out = len(input_shapes), len(output_shapes)
    sizes = [int(np.prod(s, dtype=np.int64)) for s in (*input_shapes, *output_shapes)]
    body = "\n".join(f"    {s}" for s in g.statements)
    return f"""/* XNNPACK anchor driver (generated by bench/anchor_xnnpack.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xnnpack.h>

#define N_IN {n_in}
#define N_OUT {n_out}
static const size_t sizes[N_IN + N_OUT] = {{{", ".join(map(str, sizes))}}};
{chr(10).join(g.declarations)}

static void check(enum xnn_status status, const char *what) {{
    if (status != xnn_status_success) {{
        fprintf(stderr, "XNNPACK: %s failed with status %d\\n", what, (int)status);
        exit(3);
    }}
}}

static uint32_t tensor(xnn_subgraph_t g, size_t rank, const size_t *dims, const float *data,
                       uint32_t external, uint32_t flags) {{
    uint32_t id;
    check(xnn_define_tensor_value(g, xnn_datatype_fp32, rank, dims, data, external, flags, &id),
          "tensor");
    return id;
}}

static float *read_file(const char *path, size_t bytes) {{
    FILE *f = fopen(path, "rb");
    float *data = malloc(bytes ? bytes : 1);
    if (f == NULL || data == NULL || fread(data, 1, bytes, f) != bytes) {{
        fprintf(stderr, "cannot read %zu bytes from %s\\n", bytes, path);
        exit(2);
    }}
    fclose(f);
    return data;
}}

static void define(xnn_subgraph_t g, const float *consts) {{
    (void)consts;
{body}
}}

/* The counted call: one inference. */
__attribute__((noinline, noipa)) int anchor_run(xnn_runtime_t runtime) {{
    check(xnn_invoke_runtime(runtime), "invoke");
    return 0;
}}

int main(int argc, char **argv) {{
    if (argc != 4) {{
        fprintf(stderr, "usage: %s INPUTS OUTPUTS CONSTANTS\\n", argv[0]);
        return 2;
    }}
    size_t total = 0;
    for (int k = 0; k < N_IN; ++k) total += sizes[k];
    float *inputs = read_file(argv[1], total * sizeof(float));
    float *consts = read_file(argv[3], {const_bytes});
    float *outputs[N_OUT];
    struct xnn_external_value external[N_IN + N_OUT];
    for (int k = 0, at = 0; k < N_IN; at += (int)sizes[k], ++k) {{
        external[k].id = (uint32_t)k;
        external[k].data = inputs + at;
    }}
    for (int k = 0; k < N_OUT; ++k) {{
        outputs[k] = calloc(sizes[N_IN + k], sizeof(float));
        external[N_IN + k].id = (uint32_t)(N_IN + k);
        external[N_IN + k].data = outputs[k];
    }}
    check(xnn_initialize(NULL), "initialize");
    xnn_subgraph_t g;
    check(xnn_create_subgraph(N_IN + N_OUT, 0, &g), "subgraph");
    define(g, consts);
    xnn_runtime_t runtime;
    check(xnn_create_runtime_v2(g, NULL, 0, &runtime), "runtime");
    check(xnn_setup_runtime(runtime, N_IN + N_OUT, external), "setup");
    /* warm-up run, then clear the outputs so what is written is the counted run's */
    check(xnn_invoke_runtime(runtime), "warm-up invoke");
    for (int k = 0; k < N_OUT; ++k) memset(outputs[k], 0, sizes[N_IN + k] * sizeof(float));
    anchor_run(runtime);
    FILE *f = fopen(argv[2], "wb");
    if (f == NULL) return 2;
    for (int k = 0; k < N_OUT; ++k)
        if (fwrite(outputs[k], sizeof(float), sizes[N_IN + k], f) != sizes[N_IN + k]) return 2;
    return fclose(f) != 0 ? 2 : 0;
}}
"""


def build(program: XnnProgram, target: str) -> tuple[Path, Path]:
    """The driver executable for `target` (not position independent, so its
    addresses are the ones qemu runs it at) and the sysroot it runs in."""
    from pelemay_ir.machines import machine

    if target not in DEBIAN_ARCH:
        raise anchors.AnchorUnavailable(f"no Debian XNNPACK package for {target}")
    debian = anchors.debian_root(DEBIAN_ARCH[target])
    libdir = debian / "usr" / "lib" / anchors.BOARDS[target].triplet
    root = anchors.sysroot(target, sorted(p for p in libdir.iterdir() if ".so" in p.name),
                           tag="xnnpack")
    m = machine(target)
    flags = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", *m.cflags, "-fno-pie", "-no-pie",
             f"-I{debian / 'usr' / 'include'}"]
    link = [f"-L{libdir}", "-lXNNPACK", f"-Wl,-rpath-link,{libdir}",
            f"-Wl,-rpath,{anchors.guest_library_dir(target)}", "-lm"]
    return anchors.build_driver(program.source, "xnnpack_driver", m.cc, flags, link), root


def count(module: ModuleOp, inputs: Sequence[np.ndarray], target: str
          ) -> tuple[int, list[np.ndarray]]:
    """Guest instructions of one XNNPACK inference of the program on
    `inputs`, and that inference's outputs."""
    program = translate(module)
    exe, root = build(program, target)
    with tempfile.TemporaryDirectory(prefix="pelemay-xnnpack-") as tmp:
        t = Path(tmp)
        (t / "inputs.bin").write_bytes(
            b"".join(np.ascontiguousarray(a, np.float32).tobytes() for a in inputs))
        (t / "constants.bin").write_bytes(program.constants)
        args = [str(t / "inputs.bin"), str(t / "outputs.bin"), str(t / "constants.bin")]
        n, outputs = anchors.count_driver(exe, target, root, args, "XNNPACK", t / "outputs.bin",
                                          program.output_shapes)
    return n, outputs
