"""A file that is one JSON array (``[{...}, {...}]``), read element by element with each element's line number."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

Report = Callable[[str, int | None, str], None]  # (code, line, message)
MAX_ELEMENT_CHARS = 64 * 1024 * 1024
_WHITESPACE = " \t\r\n"


class JsonArray:
    """Streams the elements of a JSON array given as numbered lines; one finding and a stop on a syntax error."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.decoder = json.JSONDecoder()
        self.last = 1  # the number of the last line read: no finding points past it

    def elements(self, lines: Iterator[tuple[int, str | None]]) -> Iterator[tuple[int, tuple[str, Any] | None]]:
        """(line where the element starts, (its text, its value)); unreadable lines end the array with a finding."""
        buffer, base = "", 1  # base: the line number of buffer[0]
        opened = closed = False
        for number, text in lines:
            self.last = number
            if text is None:  # an undecodable or oversized line, already reported: the array can't be followed
                return
            if not buffer:
                base = number
            buffer += text
            if not opened:
                start = buffer.index("[")
                base += buffer.count("\n", 0, start)
                buffer, opened = buffer[start + 1 :], True
            if closed:
                if buffer.strip(_WHITESPACE):
                    self._fail(base + _lines_before(buffer), "Content after the array's closing ]; remove it.")
                    return
                buffer = ""
                continue
            if len(buffer) > MAX_ELEMENT_CHARS:
                self._fail(base, "An array element is over 64 MiB or never closes; check the brackets.")
                return
            if not text.rstrip().endswith(("}", "},", "]", "}]", "} ,")):
                continue  # an element can only end on a line that closes something: don't re-parse a half
            while True:
                position = _skip(buffer, 0)
                if position < len(buffer) and buffer[position] == "]":
                    closed = True
                    buffer = buffer[position + 1 :]
                    if buffer.strip(_WHITESPACE):
                        self._fail(base + buffer.count("\n"), "Content after the array's closing ]; remove it.")
                        return
                    buffer = ""
                    break
                try:
                    value, end = self.decoder.raw_decode(buffer, position)
                except (ValueError, RecursionError):
                    break  # incomplete so far: wait for more lines
                line = base + buffer.count("\n", 0, position)
                yield line, (buffer[position:end], value)
                rest = _skip(buffer, end)
                if rest < len(buffer) and buffer[rest] == ",":
                    rest += 1
                elif rest < len(buffer) and buffer[rest] != "]":
                    self._fail(base + buffer.count("\n", 0, rest), "Expected ',' or ']' between array elements.")
                    return
                base += buffer.count("\n", 0, rest)
                buffer = buffer[rest:]
        if not closed:
            self._unfinished(buffer, base)

    def _unfinished(self, buffer: str, base: int) -> None:
        position = _skip(buffer, 0)
        if position >= len(buffer):
            self._fail(base + buffer.count("\n"), "The array never closes; add the final ].")
            return
        try:
            self.decoder.raw_decode(buffer, position)
            self._fail(base + buffer.count("\n"), "The array never closes; add the final ].")
        except json.JSONDecodeError as exc:
            self._fail(base + buffer.count("\n", 0, exc.pos), f"Not valid JSON: {exc.msg}; fix this element.")
        except (ValueError, RecursionError) as exc:
            self._fail(base + buffer.count("\n", 0, position), f"Not valid JSON ({str(exc)[:60]}); fix this element.")

    def _fail(self, line: int, message: str) -> None:
        self.report("invalid_json", min(line, self.last), message)


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def _lines_before(buffer: str) -> int:
    stripped = len(buffer) - len(buffer.lstrip(_WHITESPACE))
    return buffer.count("\n", 0, stripped)
