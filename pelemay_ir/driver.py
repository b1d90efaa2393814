"""`pelemay-opt`: parse, run a pass pipeline, print with a target.

It speaks xdsl-opt's flags, but owns its error handling: every failure is one
line, `FILE:LINE:COL: error: ...` where there is a position and
`pelemay-opt: error: ...` where there is none, with exit code 1 and never a
Python traceback; an output file is only replaced once the whole run has
succeeded.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import NoReturn
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.utils.arg_spec import parse_spec as parse_target_spec
from xdsl.utils.exceptions import DiagnosticException

from pelemay_ir import ir, registry, weights
from pelemay_ir.files import atomic_write

SPLIT_MARKER = "// -----"


class UsageError(Exception):
    """A bad command line: unknown pass, option or target."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad command line exits 1 like every other failure."""

    def error(self, message: str) -> NoReturn:
        self.exit(1, f"{self.prog}: error: {one_line(message)}\n")


def build_arg_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="pelemay-opt",
        description="Pelemay IR modular optimizer driver (xdsl-opt compatible flags).",
    )
    p.add_argument("input_file", nargs="?", help="input .mlir file (default: stdin)")
    p.add_argument("-p", "--passes", default="", help="comma-separated pass pipeline, e.g. 'canonicalize,cse'")
    p.add_argument("-t", "--target", default="mlir", help="printer for the output: " + ", ".join(registry.targets()))
    p.add_argument("-o", "--output-file", help="output path (written only when the whole run succeeds)")
    p.add_argument("--split-input-file", action="store_true", help="process each `// -----` chunk separately")
    p.add_argument("--verify-diagnostics", action="store_true", help="print verifier diagnostics on stdout and exit 0")
    p.add_argument("--parsing-diagnostics", action="store_true", help="print parse diagnostics on stdout and exit 0")
    p.add_argument("--print-op-generic", action="store_true", help="print ops in generic form")
    p.add_argument("--print-debuginfo", action="store_true", help="print op locations")
    p.add_argument("--print-between-passes", action="store_true", help="print the IR after each pass")
    p.add_argument("--time-passes", action="store_true", help="print the time each pass takes (stderr)")
    p.add_argument("--disable-verify", action="store_true", help="do not verify between passes")
    p.add_argument("--allow-unregistered-dialect", action="store_true", help="accept ops of unknown dialects")
    p.add_argument("--list-passes", action="store_true", help="list the registered passes and exit")
    p.add_argument("--version", action="version", version=f"pelemay-opt {_version()}")
    return p


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{version('pelemay-ir')} (xdsl {version('xdsl')})"
    except PackageNotFoundError:
        return "unknown"


class Driver:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.available = registry.passes()
        try:
            self.passes = registry.make_pipeline(args.passes, self.available) if args.passes else []
        except ir.CompileError as e:
            raise UsageError(e.message) from None
        target = parse_target_spec(args.target)
        if target.name not in registry.targets():
            raise UsageError(
                f"unknown target '{target.name}'; available targets: "
                + ", ".join(registry.targets())
            )
        self.target = target
        self.failed = False
        self.weight_copies: dict[Path, Path | bytes] = {}  # destination -> source, written with -o

    def read_input(self) -> tuple[str, str]:
        name = self.args.input_file
        if name is None or name == "-":
            return sys.stdin.read(), "<stdin>"
        try:
            return Path(name).read_text(), name
        except OSError as e:
            raise ir.CompileError(f"cannot read '{name}': {e.strerror}") from None
        except UnicodeDecodeError:
            raise ir.CompileError(f"'{name}' is not UTF-8 text") from None

    def chunks(self, text: str) -> list[tuple[str, int]]:
        """The chunks between marker lines, each with the number of lines before it.

        As in mlir-opt, only a line holding nothing but the marker splits, so
        `// CHECK: // -----` stays inside its chunk. The marker line is kept
        (blank) in the chunk after it, so line numbers are those of the file.
        """
        if not self.args.split_input_file:
            return [(text, 0)]
        out: list[tuple[str, int]] = []
        chunk: list[str] = []
        start = 0
        for number, line in enumerate(text.splitlines(keepends=True)):
            if line.strip() == SPLIT_MARKER:
                out.append(("".join(chunk), start))
                chunk, start = [], number
                line = "\n"
            chunk.append(line)
        out.append(("".join(chunk), start))
        return out

    def process(self, chunk: str, name: str, line_offset: int) -> str:
        ctx = ir.make_context()
        ctx.allow_unregistered = self.args.allow_unregistered_dialect
        module = ir.parse(chunk, name, ctx, line_offset)
        if self.args.input_file and self.args.input_file != "-":
            weights.remember_origin(module, Path(self.args.input_file))
        self.run_passes(ctx, module)
        self.keep_weights_beside_output(module)
        return registry.emit(self.target, module, self.args)

    def keep_weights_beside_output(self, module: ModuleOp) -> None:
        """`-o DIR/M.mlir` must run where it is written: its `ptensor.weights`
        names a path relative to DIR. If the input's name already reaches the
        same file from DIR (an output beside the input) it stays; otherwise
        the weights are copied to DIR/M.weights and the attribute names that,
        so the output travels as a pair like `-t c`'s M.c and M.h. Weights a
        pass made (packed at compile time, weights.derive) are the compiled
        program's own: whatever the target, they are written to DIR/M.weights,
        and without -o there is nowhere to put them."""
        path = self.args.output_file
        if weights.derived(module):
            if path in (None, "-"):
                raise ir.CompileError(
                    "the weights were packed at compile time into a file of the program's own; "
                    "give -o so that it is written beside the output (or pass pack-weights=false)",
                    ir.location_of(module),
                )
            self.keep_weights(module, Path(path), bytes(weights.blob_of(module)))
            return
        if path in (None, "-") or self.target.name != "mlir":
            return
        source = weights.weights_path(module)
        if source is None or not source.is_file():
            return  # nothing to carry: no weights, or already missing in the input
        named = Path(path).resolve().parent / module.attributes[weights.WEIGHTS_ATTR].data  # pyright: ignore
        if named.is_file() and named.samefile(source):
            return
        self.keep_weights(module, Path(path), source)

    def keep_weights(self, module: ModuleOp, output: Path, source: Path | bytes) -> None:
        """Write `source` (a file, or bytes) to OUTPUT_STEM.weights beside the output, once."""
        destination = output.resolve().parent / f"{output.stem}.weights"
        earlier = self.weight_copies.setdefault(destination, source)
        if earlier != source:
            raise ir.CompileError(
                f"the chunks have different weights files but -o '{output}' has room for one: "
                "write them to separate outputs",
                ir.location_of(module),
            )
        module.attributes[weights.WEIGHTS_ATTR] = StringAttr(destination.name)

    def run_passes(self, ctx: Context, module: ModuleOp) -> None:
        for i, p in enumerate(self.passes):
            start = time.perf_counter()
            try:
                p.apply(ctx, module)
            except ir.CompileError:
                raise
            except DiagnosticException as e:
                raise ir.CompileError(f"pass '{p.name}' failed: {e}") from None
            if self.args.time_passes:
                print(f"pass {p.name}: {time.perf_counter() - start:.4f} s", file=sys.stderr)
            if not self.args.disable_verify:
                ir.verify(module)
            if self.args.print_between_passes and i + 1 < len(self.passes):
                print(f"// IR after {p.name}:")
                print(registry.print_mlir(module, self.args))

    def run(self) -> int:
        text, name = self.read_input()
        outputs: list[str] = []
        for chunk, offset in self.chunks(text):
            try:
                out = self.process(chunk, name, offset)
            except ir.CompileError as e:
                if self.args.verify_diagnostics or self.args.parsing_diagnostics:
                    print(diagnostic(e))
                    continue
                print(diagnostic(e), file=sys.stderr)
                self.failed = True
                continue
            outputs.append(out)
        to_file = self.args.output_file not in (None, "-")
        if outputs and not (self.failed and to_file):
            self.write(f"{SPLIT_MARKER}\n".join(outputs))
        return 1 if self.failed else 0

    def write(self, text: str) -> None:
        path = self.args.output_file
        if path is None or path == "-":
            sys.stdout.write(text)
            return
        for destination, source in self.weight_copies.items():
            if isinstance(source, bytes):
                atomic_write(destination, source)
            elif not (destination.exists() and destination.samefile(source)):
                atomic_write(destination, source.read_bytes())
        registry.write_output(self.target, Path(path), text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_arg_parser()
    args = parser.parse_args(argv)
    try:
        if args.list_passes:
            print(registry.pass_listing(), end="")
            return 0
        return Driver(args).run()
    except UsageError as e:
        print(f"pelemay-opt: error: {one_line(str(e))}", file=sys.stderr)
        return 1
    except ir.CompileError as e:
        print(diagnostic(e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # an internal bug: still one line, exit 1
        if os.environ.get("PELEMAY_DEBUG"):
            raise
        print(
            f"pelemay-opt: internal error: {type(e).__name__}: {one_line(str(e))} "
            "(set PELEMAY_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 1


def one_line(text: str) -> str:
    """A message on one line: its lines joined, blank ones dropped."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def diagnostic(e: ir.CompileError) -> str:
    """The one line a CompileError prints as: at its position when it has one,
    else under the tool's name, as every other message of pelemay-opt."""
    text = one_line(e.message)
    return f"{e.location}: error: {text}" if e.location else f"pelemay-opt: error: {text}"


if __name__ == "__main__":
    sys.exit(main())
