"""One streaming pass over a JSONL, JSON-array or CSV training file: numbered lines, parsed objects, the file hash."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from service.datasets.json_array import JsonArray

Progress = Callable[[int], None]
Report = Callable[[str, int | None, str], None]  # (code, line, message)
MAX_LINE_BYTES = 64 * 1024 * 1024  # far beyond any provider's per-example limit
CSV_HEADERS = (("input_text", "output_text"), ("prompt", "completion"))
_TICK = 1 << 20
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
SNIFF_BYTES = 8192  # a NUL byte this early means a binary file (or UTF-16), not text


class TrainingFile:
    """Reads ``source`` once, line by line, reporting unreadable lines through ``report``."""

    def __init__(self, source: Path | str | BinaryIO, report: Report, progress: Progress | None = None) -> None:
        self.source = source
        self.report = report
        self.progress = progress
        self.lines = 0
        self.records = 0
        self.file_type = "jsonl"
        self.json_array = False
        self.unreadable = False  # binary or UTF-16: reported once, nothing parsed
        self.sha256 = hashlib.sha256()

    def objects(self) -> Iterator[tuple[int, str, Any]]:
        """(line, text, parsed JSON object or CSV row; None when unreadable) for each non-blank line."""
        if isinstance(self.source, (str, Path)):
            path = Path(self.source)
            with path.open("rb") as stream:
                yield from self._objects(stream, csv_hint=path.suffix.lower() == ".csv")
        else:
            yield from self._objects(self.source, csv_hint=False)

    def _objects(self, stream: BinaryIO, csv_hint: bool) -> Iterator[tuple[int, str, Any]]:
        for number, payload in self._records(stream, csv_hint):
            self.records += 1
            if payload is None:
                yield number, "", None
            elif isinstance(payload, dict):
                yield number, " ".join(payload.values()), payload
            elif isinstance(payload, tuple):
                yield number, payload[0], payload[1]  # a JSON-array element, already parsed
            else:
                yield number, payload, self._parse(number, payload)

    def _parse(self, number: int, text: str) -> Any:
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: "[[[[..." nested too deep
            self.report("invalid_json", number, f"Line is not valid JSON: {_reason(exc)}; write one JSON object per line.")
            return None

    def _raw_lines(self, stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
        """(line number, bytes); None for a line over MAX_LINE_BYTES, which is drained, not kept."""
        number = done = 0
        tick = _TICK
        while raw := stream.readline(MAX_LINE_BYTES):
            number += 1
            self.lines = number
            self.sha256.update(raw)
            done += len(raw)
            if number == 1 and raw.startswith(_BOM):
                raw = raw[3:]
            if done - len(raw) < SNIFF_BYTES and (b"\x00" in raw[:SNIFF_BYTES] or (number == 1 and raw.startswith(_UTF16_BOMS))):
                self._unreadable(stream, raw, done)
                return
            if len(raw) >= MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while chunk := stream.readline(MAX_LINE_BYTES):
                    self.sha256.update(chunk)
                    done += len(chunk)
                    if chunk.endswith(b"\n"):
                        break
                yield number, None
            else:
                yield number, raw
            if self.progress is not None and done >= tick:
                self.progress(done)
                tick = done + _TICK
        if self.progress is not None:
            self.progress(done)

    def _unreadable(self, stream: BinaryIO, raw: bytes, done: int) -> None:
        """Report a binary or UTF-16 file once, then only count and hash the rest."""
        self.unreadable = True
        utf16 = raw.startswith(_UTF16_BOMS) or raw[1:2] == b"\x00" or raw[:1] == b"\x00"
        what = (
            "UTF-16 text" if utf16 and raw.count(b"\x00") * 3 >= len(raw) else "a binary file (a spreadsheet, archive or image?)"
        )
        self.report(
            "not_text",
            None,
            f"The file is {what}, not UTF-8 JSONL or CSV; export or re-save it as UTF-8 JSONL.",
        )
        while chunk := stream.readline(MAX_LINE_BYTES):
            self.sha256.update(chunk)
            self.lines += 1
            done += len(chunk)
        if self.progress is not None:
            self.progress(done)

    def _decoded(self, raw_lines: Iterator[tuple[int, bytes | None]]) -> Iterator[tuple[int, str | None]]:
        """Decoded lines; None for undecodable and oversized ones, which are reported."""
        for number, raw in raw_lines:
            if raw is None:
                self.report("example_too_long", number, f"Line is over {MAX_LINE_BYTES} bytes; split or shorten it.")
                yield number, None
                continue
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.report("encoding_error", number, f"Line is not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8.")
                yield number, None

    def _records(self, stream: BinaryIO, csv_hint: bool) -> Iterator[tuple[int, str | dict[str, str] | tuple[str, Any] | None]]:
        """JSONL text lines or CSV rows as dicts; decides the file type from the first line."""
        raw_lines = self._raw_lines(stream)
        lines = self._decoded(raw_lines)
        first = next(lines, None)
        if first is None:
            return
        number, text = first
        if text is not None and _opens_array(text):
            self.json_array = True
            yield from JsonArray(self.report).elements(itertools.chain([first], lines))
            for _ in lines:  # after a syntax error the rest is only counted and hashed
                pass
            return
        looks_like_json = text is not None and text.lstrip().startswith("{")
        header = _csv_header(text) if text is not None and not looks_like_json else None
        if header is not None or (csv_hint and text is not None and not looks_like_json):
            self.file_type = "csv"
            if header is None:
                self.report("invalid_csv", number, "CSV header must be 'input_text,output_text' or 'prompt,completion'.")
                for _ in raw_lines:  # still count and hash the whole file, without a finding per line
                    pass
                return
            yield from self._csv_rows(lines, header)
            return
        for number, text in itertools.chain([first], lines):
            if text is not None and not text.strip():
                self.report("blank_line", number, "Blank line skipped; remove it.")
            else:
                yield number, text

    def _csv_rows(self, lines: Iterator[tuple[int, str | None]], header: tuple[str, str]) -> Iterator[tuple[int, dict[str, str]]]:
        """Rows as ``{header: value}``; a quoted field may span lines, so track where each row starts."""
        unreadable: set[int] = set()
        position = 1

        def feed() -> Iterator[str]:
            nonlocal position
            for number, text in lines:
                position = number
                if text is None:
                    unreadable.add(number)
                yield "\n" if text is None else text

        rows = csv.reader(feed())
        start = 2
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:
                self.report("invalid_csv", start, f"CSV row is malformed ({exc}); check its quoting.")
                start = position + 1
                continue
            begin, start = start, position + 1
            if unreadable.intersection(range(begin, position + 1)):
                continue  # already reported as unreadable
            if not any(field.strip() for field in row):
                self.report("blank_line", begin, "Blank row skipped; remove it.")
                continue
            yield begin, dict(zip(header, row, strict=False))


def _opens_array(text: str) -> bool:
    """A file that starts ``[`` then an object (or a line break): a JSON array, not a JSONL line like ``[1, 2]``."""
    stripped = text.lstrip()
    return stripped.startswith("[") and (not stripped[1:].strip() or stripped[1:].lstrip().startswith("{"))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at character {exc.pos + 1}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)[:80]


def _csv_header(text: str) -> tuple[str, str] | None:
    try:
        fields = [f.strip().lower() for f in next(csv.reader([text]), [])]
    except csv.Error:  # e.g. a bare CR inside the line: not our CSV header
        return None
    return next((pair for pair in CSV_HEADERS if fields[:2] == list(pair)), None)
