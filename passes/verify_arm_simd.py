"""verify-arm-simd: reject a program using NEON its target machine lacks.

An intrinsic a machine lacks fails in the C compiler far from the source, or
worse, traps on the board (Cortex-A8 has no fused multiply-add). Checking the
arm_simd ops against the machine table of `pelemay_ir.dialects.arm_simd`
reports the first such op at the position it was written.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from pelemay_ir.dialects.arm_simd import ArmSimdOp
from pelemay_ir.ir import CompileError, location_of
from pelemay_ir.machines import MACHINES, machine as machine_named


def check_machine(module: Operation, machine: str) -> None:
    """Raise CompileError at the first arm_simd op that `machine` lacks."""
    machine_named(machine)  # an unknown name is an error listing the valid ones
    for op in module.walk():
        if not isinstance(op, ArmSimdOp):
            continue
        have = op.machines()
        if machine in have:
            continue
        try:
            what = f"'{op.name}' ({op.intrinsic()})"
        except KeyError:  # unverified op: no intrinsic for its types
            what = f"'{op.name}'"
        raise CompileError(
            f"{what} is not available on target '{machine}'; machines that have it: "
            + (", ".join(have) or "none"),
            location_of(op),
        )


@dataclass(frozen=True)
class VerifyArmSimdPass(ModulePass):
    """Check every arm_simd op against the NEON of `target`."""

    name = "verify-arm-simd"

    target: str = "aarch64"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.target not in MACHINES:
            raise CompileError(
                f"verify-arm-simd: unknown target '{self.target}'; valid targets: "
                + ", ".join(MACHINES)
            )
        check_machine(op, self.target)
