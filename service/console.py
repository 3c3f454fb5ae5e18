"""What the `advisor` commands share: counted words, a quiet model load, and progress that only estimates what it measured."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from typing import Any, TextIO

import typer
from typer.core import TyperArgument

WIDTH = 80


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 error``, ``2 errors``, ``1,204 examples``; ``many`` for words that do not just take an s."""
    return f"{count:,} {singular if count == 1 else many or singular + 's'}"


def quiet_model_loading() -> None:
    """Keep the libraries under the embedding model from drawing their own bars and warnings on our output.

    Set before they are imported: huggingface_hub and transformers read these once. A user's own setting wins.
    """
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def indented(text: str, prefix: str = "   ", width: int = WIDTH, limit: int | None = None) -> str:
    """``text`` on lines of at most ``width`` characters, every line indented (not only the first)."""
    flat = " ".join(text.split())
    if limit is not None:
        flat = textwrap.shorten(flat, limit, placeholder=" …")
    return textwrap.fill(flat, width=width, initial_indent=prefix, subsequent_indent=prefix)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` on stderr; raise the returned Exit."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


class Progress:
    """One status line on a terminal (nothing when stderr is a file or a pipe).

    The estimate of time left is drawn only from work already done in this run: until the first items
    finish (a model still loading, a worker yet to pick the job up), it says what it is waiting for instead
    of guessing from elapsed time.
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.live = _is_terminal(self.stream)
        self.first: tuple[float, int] | None = None  # (when, done) at the first measured progress
        self.shown = ""

    def waiting(self, reason: str) -> None:
        self._show(f"{self.label}: {reason}…")

    def update(self, done: int, total: int, unit: str = "chunk") -> None:
        now = time.monotonic()
        if self.first is None and done > 0:
            self.first = (now, done)
        left = ""
        if self.first is not None and done < total:
            since, start = self.first
            rate = (done - start) / (now - since) if now > since else 0.0
            if rate > 0 and done - start >= 1:
                left = f", about {_duration((total - done) / rate)} left"
        self._show(f"{self.label}: {done:,} of {plural(total, unit)}{left}")

    def close(self) -> None:
        if self.live and self.shown:
            self.stream.write("\r" + " " * len(self.shown) + "\r")
            self.stream.flush()
        self.shown = ""

    def _show(self, line: str) -> None:
        if not self.live or line == self.shown:
            return
        line = line[: WIDTH - 1]
        self.stream.write("\r" + line + " " * max(0, len(self.shown) - len(line)))
        self.stream.flush()
        self.shown = line


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _NamedArgument(TyperArgument):
    """An argument shown by its metavar alone ("FILE", not "FILE <str>"; "FILE...", not "{FILE}...")."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")


def plain_help(command: Any) -> Any:
    """``command`` (a Click command Typer built) with every argument named by its metavar alone, sub-commands too."""
    for param in command.params:
        if isinstance(param, TyperArgument):
            param.__class__ = _NamedArgument
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)
    return command


class Advisor(typer.Typer):
    """The `advisor` app: its help printed plain (see ``plain_help``)."""

    def __call__(self, *args: object, **kwargs: object) -> object:
        return plain_help(typer.main.get_command(self))(*args, **kwargs)
