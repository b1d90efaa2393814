"""The PyTorch anchor of bench/gpu.py: a ptensor program run op by op as
PyTorch eager calls (cuDNN convolutions, cuBLAS matmuls on a GPU), with the
program's own weights uploaded once.

It knows the ops the bundled models and the benchmark's single-op programs
use, in NCHW internally (cuDNN's fast layout): an NHWC input is permuted once
on entry and each NHWC result once on exit, as a PyTorch user would feed
these networks. TF32 is switched off, so both sides compute in f32.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def _torch():
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return torch


def _ints(op, name: str) -> list[int]:
    return [int(v) for v in getattr(op, name).get_values()]


class TorchProgram:
    """`program(*arrays)` -> NumPy outputs; `program.device_call(*arrays)` ->
    a function that runs it on inputs already on the device and waits."""

    def __init__(self, module, device: str):
        from pelemay_ir import reference, weights

        torch = self.torch = _torch()
        self.device = device
        self.function = reference.entry_function(module)
        self.constants = {}
        for op in self.function.body.block.ops:
            if op.name == "ptensor.weight":
                array = np.array(weights.read(module, op.key.data, op.offset.value.data, op.results[0].type))
                self.constants[op.results[0]] = self._layout_weight(op, torch.from_numpy(array).to(device))
            elif op.name == "ptensor.constant":
                value = reference.apply(op, [], module)
                self.constants[op.results[0]] = torch.from_numpy(np.ascontiguousarray(value)).to(device)

    def _layout_weight(self, op, tensor):
        """Filters of conv2d (HWCF) become OIHW once, at load time."""
        users = [use.operation for use in op.results[0].uses]
        if users and all(u.name == "ptensor.conv2d" and u.operands[1] is op.results[0] for u in users):
            return tensor.permute(3, 2, 0, 1).contiguous()
        return tensor

    def _run(self, args: Sequence) -> list:
        torch, F = self.torch, self.torch.nn.functional
        values: dict = dict(self.constants)
        nchw: set = set()

        def get(v, want_nchw: bool):
            t = values[v]
            if want_nchw and v not in nchw and t.dim() == 4:
                return t.permute(0, 3, 1, 2)
            if not want_nchw and v in nchw:
                return t.permute(0, 2, 3, 1)
            return t

        for arg, tensor in zip(self.function.body.block.args, args):
            values[arg] = tensor
        for op in self.function.body.block.ops:
            name = op.name
            if name in ("ptensor.weight", "ptensor.constant"):
                continue
            if name == "func.return":
                return [get(v, False).contiguous() for v in op.operands]
            result = op.results[0]
            if name == "ptensor.conv2d":
                top, bottom, left, right = _ints(op, "padding")
                x = get(op.operands[0], True)
                if (top, left) != (bottom, right):
                    x = F.pad(x, (left, right, top, bottom))
                    top = left = 0
                bias = values[op.operands[2]] if len(op.operands) == 3 else None
                values[result] = F.conv2d(x, values[op.operands[1]], bias, _ints(op, "strides"), (top, left),
                                          _ints(op, "dilations"), op.groups.value.data)
                nchw.add(result)
            elif name in ("ptensor.relu", "ptensor.relu6"):
                v = op.operands[0]
                t = values[v]
                values[result] = torch.relu(t) if name == "ptensor.relu" else F.relu6(t)
                if v in nchw:
                    nchw.add(result)
            elif name == "ptensor.add":
                a, b = op.operands
                layout = a in nchw and b in nchw
                values[result] = get(a, layout) + get(b, layout)
                if layout:
                    nchw.add(result)
            elif name == "ptensor.avg_pool2d":
                top, bottom, left, right = _ints(op, "padding")
                if any((top, bottom, left, right)):
                    raise ValueError("the PyTorch anchor takes unpadded avg_pool2d only")
                values[result] = F.avg_pool2d(get(op.operands[0], True), _ints(op, "kernel"), _ints(op, "strides"))
                nchw.add(result)
            elif name == "ptensor.reshape":
                values[result] = get(op.operands[0], False).reshape(tuple(result.type.get_shape()))
            elif name == "ptensor.matmul":
                values[result] = torch.matmul(values[op.operands[0]], values[op.operands[1]])
            elif name == "ptensor.softmax":
                values[result] = torch.softmax(get(op.operands[0], False), op.axis.value.data)
            else:
                raise ValueError(f"the PyTorch anchor does not know '{name}'")
        raise ValueError("the program has no func.return")

    def __call__(self, *arrays: np.ndarray) -> list[np.ndarray]:
        torch = self.torch
        with torch.no_grad():
            args = [torch.from_numpy(np.ascontiguousarray(a)).to(self.device) for a in arrays]
            return [t.cpu().numpy() for t in self._run(args)]

    def device_call(self, *arrays: np.ndarray) -> Callable[[], None]:
        torch = self.torch
        args = [torch.from_numpy(np.ascontiguousarray(a)).to(self.device) for a in arrays]

        def run() -> None:
            with torch.no_grad():
                self._run(args)
            if self.device.startswith("cuda"):
                torch.cuda.synchronize()

        return run
