"""Makes our dialects and passes visible to plain `xdsl-opt` (entry point
`xdsl.universe`). Our printers stay in `pelemay-opt`: xDSL already owns the
target name `llvm`, and a second one would break its registry."""

from xdsl.universe import Universe

from pelemay_ir import ir, registry

PELEMAY_UNIVERSE = Universe(
    all_dialects=ir.own_dialects(),
    all_passes=registry.own_passes(),
)
