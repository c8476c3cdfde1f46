"""Errors a user can cause. The CLI turns each into one line and its exit code, never a traceback."""

from __future__ import annotations


class HarnessError(Exception):
    """A harness, configuration or infrastructure error: exit code 2 unless told otherwise."""

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UnusableInput(HarnessError):
    """A file or URL the user gave cannot be read or parsed."""
