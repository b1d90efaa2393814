"""The one exception type of user-facing diagnostics, in a module of its
own so that every module (the machine table too) can raise it."""

from __future__ import annotations


class CompileError(Exception):
    """A user-facing diagnostic: printed as `FILE:LINE:COL: error: MESSAGE`."""

    def __init__(self, message: str, location: str | None = None, context: str = ""):
        super().__init__(message)
        self.message = message
        self.location = location
        self.context = context

    def __str__(self) -> str:
        head = f"{self.location}: error: " if self.location else "error: "
        return head + self.message + (f"\n{self.context}" if self.context else "")
