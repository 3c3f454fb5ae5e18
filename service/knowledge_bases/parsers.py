"""Uploaded files to plain-text documents: .txt, .md, .html, .pdf and .jsonl.

Every parser takes bytes and a file name and either returns documents or raises ``ParseError`` with
a stable code (and the line for .jsonl); arbitrary bytes never escape as another exception.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any

from service.errors import AdvisorError, QuotaExceeded
from service.inputs import find_nul
from service.knowledge_bases.defaults import SUPPORTED_EXTENSIONS

MAX_ID_CHARS = 300  # kb_documents.doc_id; any text goes, `/` included: the API addresses a document by its opaque id
_BOM = "\ufeff"
_METADATA_DEPTH = 16


@dataclass(frozen=True)
class ParsedDocument:
    """One document's text; ``source`` is the uploaded file name shown to users and cited."""

    doc_id: str
    source: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


class ParseError(AdvisorError):
    """A file that cannot be read as a document; ``line`` is set for .jsonl."""

    status = 422
    code = "unreadable_document"
    title = "The document could not be read"

    def __init__(self, code: str, message: str, line: int | None = None) -> None:
        super().__init__(message, code=code, line=line)


def parse_file(data: bytes, filename: str, check_pages: Callable[[int], None] | None = None) -> list[ParsedDocument]:
    """Documents in one uploaded file, chosen by its extension; ``check_pages`` sees a PDF's page count before any
    page is read (and raises to refuse it)."""
    name = PurePosixPath(filename.replace("\\", "/")).name or "document"
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in (".txt", ".md", ".markdown"):
        return [ParsedDocument(name, name, _non_empty(_decode(data, name), name), {"format": suffix[1:]})]
    if suffix in (".html", ".htm"):
        return [ParsedDocument(name, name, _non_empty(html_to_text(_decode(data, name)), name), {"format": "html"})]
    if suffix == ".pdf":
        return [ParsedDocument(name, name, _pdf_text(data, name, check_pages), {"format": "pdf"})]
    if suffix == ".jsonl":
        return _jsonl_documents(data, name)
    raise ParseError(
        "unsupported_file_type",
        f"{name}: files of type {suffix or '(none)'} are not supported; upload one of {', '.join(SUPPORTED_EXTENSIONS)}.",
    )


def _decode(data: bytes, name: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(
            "invalid_encoding", f"{name}: byte {exc.start} is not UTF-8; save the file as UTF-8 and upload it again.", line
        ) from None
    # The BOM and NULs carry no meaning but would end up in chunks and confuse tokenizers.
    return text.removeprefix(_BOM).replace("\x00", "")


def _non_empty(text: str, name: str) -> str:
    if not text.strip():
        raise ParseError("empty_document", f"{name}: the file has no text; upload a file with content.")
    return text


class _VisibleText(HTMLParser):
    """Collects the text a browser shows, as Markdown the chunker understands.

    Headings become ``#`` lines, ``<pre>`` becomes a fenced code block with its line breaks (a
    ``# comment`` in it stays code), and a table row becomes one line of ``|``-separated cells, so
    "Tier 2 | $890" never reads as "Tier 2$890".
    """

    _HIDDEN = frozenset({"script", "style", "template", "noscript", "head", "title", "svg"})
    _BLOCK = frozenset({"p", "div", "section", "article", "br", "li", "ul", "ol", "blockquote", "hr", "main", "header", "footer"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[tuple[str, str]] = []  # ("text" | "code", content)
        self._hidden = 0
        self._heading: list[str] | None = None
        self._level = 0
        self._pre = 0
        self._cells = 0  # cells seen in the current table row
        self._tables = 0

    def _add(self, text: str) -> None:
        kind = "code" if self._pre else "text"
        if self.parts and self.parts[-1][0] == kind:
            self.parts[-1] = (kind, self.parts[-1][1] + text)
        else:
            self.parts.append((kind, text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading, self._level = [], int(tag[1])
        elif tag == "pre":
            self._add("\n\n")
            self._pre += 1
        elif tag == "table":
            self._add("\n\n")
            self._tables += 1
        elif tag == "tr":
            self._add("\n")
            self._cells = 0
        elif tag in ("td", "th"):
            if self._cells:
                self._add(" | ")
            self._cells += 1
        elif tag in self._BLOCK and not self._pre:
            self._add(" " if self._tables else "\n\n")  # a paragraph inside a cell stays in its row

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            title = " ".join("".join(self._heading).split())
            if title:
                self._add(f"\n\n{'#' * self._level} {title}\n\n")
            self._heading = None
        elif tag == "pre" and self._pre:
            self._pre -= 1
            self._add("\n\n")
        elif tag == "table":
            self._tables = max(0, self._tables - 1)
            self._add("\n\n")
        elif tag in self._BLOCK and not self._pre:
            self._add(" " if self._tables else "\n\n")  # a paragraph inside a cell stays in its row

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._heading is not None:
            self._heading.append(data)
        elif not (self._tables and not self._pre and not data.strip()):  # indentation between cells and rows
            self._add(data)


def _fenced(code: str) -> str:
    lines = code.strip("\n").splitlines()
    body = "\n".join(line.rstrip() for line in lines)
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * (longest + 1)  # longer than any backtick run inside: the code cannot close it
    return f"{fence}\n{body}\n{fence}"


def html_to_text(html: str) -> str:
    """Visible text of an HTML page as Markdown: ``#`` headings, blank-line paragraphs, fenced ``<pre>``."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    blocks: list[str] = []
    for kind, content in parser.parts:
        if kind == "code":
            if content.strip():
                blocks.append(_fenced(content))
            continue
        for block in re.split(r"\n\s*\n", content):
            # Lines survive inside a block only for table rows; elsewhere HTML whitespace is one space.
            rows = [" ".join(line.split()) for line in block.split("\n")] if " | " in block else [" ".join(block.split())]
            text = "\n".join(row for row in rows if row)
            if text:
                blocks.append(text)
    return "\n\n".join(blocks)


def _pdf_text(data: bytes, name: str, check_pages: Callable[[int], None] | None = None) -> str:
    # pypdf logs a warning per damaged object; a user's broken PDF is not our log's business.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if check_pages is not None:  # the declared count first (one number, read at once), then the real page tree
            tree = reader.root_object.get("/Pages")
            tree = tree.get_object() if tree is not None else None
            check_pages(int(tree.get("/Count", 0)) if isinstance(tree, dict) else 0)
            check_pages(len(reader.pages))
    except QuotaExceeded:
        raise
    except Exception as exc:  # pypdf raises many types (and worse) on damaged files
        raise ParseError("invalid_pdf", f"{name}: not a readable PDF ({type(exc).__name__}); export it again.") from None
    try:
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many types (and worse) on damaged files
        raise ParseError("invalid_pdf", f"{name}: not a readable PDF ({type(exc).__name__}); export it again.") from None
    # A page per section: the heading keeps the page number in each chunk's heading path.
    sections = [f"# Page {number}\n\n{text.strip()}" for number, text in enumerate(pages, 1) if text.strip()]
    if not sections:
        raise ParseError("empty_document", f"{name}: the PDF has no extractable text (scanned images need OCR first).")
    return "\n\n".join(sections).replace("\x00", "")


def _nul_or_too_deep(metadata: dict[str, Any]) -> bool:
    try:
        return find_nul(metadata, _METADATA_DEPTH) is not None
    except ValueError:
        return True


def _jsonl_documents(data: bytes, name: str) -> list[ParsedDocument]:
    text = _decode(data, name)
    documents: list[ParsedDocument] = []
    seen: set[str] = set()
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            raise ParseError(
                "invalid_json", f"{name} line {number}: not a JSON object; write one object per line.", number
            ) from None
        if not isinstance(record, dict):
            raise ParseError("invalid_json", f"{name} line {number}: expected an object with id and text.", number)
        doc_id, body, metadata = record.get("id"), record.get("text"), record.get("metadata", {})
        if isinstance(doc_id, int) and not isinstance(doc_id, bool):
            doc_id = str(doc_id)
        if not isinstance(doc_id, str) or not doc_id.strip():
            raise ParseError("missing_id", f"{name} line {number}: `id` must be a non-empty string.", number)
        if len(doc_id) > MAX_ID_CHARS or "\x00" in doc_id:
            raise ParseError(
                "invalid_id", f"{name} line {number}: `id` must be at most {MAX_ID_CHARS} characters, without NUL.", number
            )
        if not isinstance(body, str) or not body.strip():
            raise ParseError("missing_text", f"{name} line {number}: `text` must be a non-empty string.", number)
        if not isinstance(metadata, dict) or _nul_or_too_deep(metadata):
            raise ParseError(
                "invalid_metadata",
                f"{name} line {number}: `metadata` must be an object, at most {_METADATA_DEPTH} levels deep, without NUL.",
                number,
            )
        if doc_id in seen:
            raise ParseError("duplicate_id", f"{name} line {number}: id {doc_id!r} appears twice; ids must be unique.", number)
        seen.add(doc_id)
        documents.append(ParsedDocument(doc_id, name, body.replace("\x00", ""), {**metadata, "format": "jsonl"}))
    if not documents:
        raise ParseError("empty_document", f"{name}: no documents; write one {{id, text, metadata}} object per line.")
    return documents
