"""Documents to retrievable chunks: by markdown heading, then blank-line paragraph, within a token budget.

Token counts are a cheap approximation: one token per Unicode word (``\\w+``) and per punctuation
mark. It needs no model, is deterministic, and runs at regex speed; English wordpieces come out
~1.2x higher, so a 300-token chunk is ~350 MiniLM wordpieces (MiniLM embeds the first 256, BM25
still sees every word).

Every chunk is a contiguous slice of the document: ``doc.text[chunk.start:chunk.end] == chunk.text``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from service.knowledge_bases.parsers import ParsedDocument

HEADING_SEPARATOR = " > "
_TOKEN = re.compile(r"\w+|[^\w\s]")
_HEADING = re.compile(r"[ ]{0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"[ ]{0,3}(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?;:؟。…])\s+|\n+")
_WORD = re.compile(r"\S+")

Span = tuple[int, int]


@dataclass(frozen=True)
class Chunk:
    """A slice of a document with where it came from; ``content_hash`` decides re-embedding."""

    chunk_id: str
    doc_id: str
    source: str
    index: int
    heading_path: tuple[str, ...]
    start: int
    end: int
    text: str
    content_hash: str

    @property
    def heading(self) -> str:
        """The heading path joined with " > " ("" before the first heading)."""
        return HEADING_SEPARATOR.join(self.heading_path)


def count_tokens(text: str) -> int:
    """Approximate token count: Unicode words plus punctuation marks."""
    return len(_TOKEN.findall(text))


def content_hash(text: str, model: str) -> str:
    """sha256 of the chunk text and the embedding model: the same text under another model is new."""
    return hashlib.sha256(f"{model}\x00{text}".encode("utf-8", "surrogatepass")).hexdigest()


def chunk_document(doc: ParsedDocument, chunk_tokens: int = 300, overlap: int = 45, model: str = "") -> list[Chunk]:
    """Split ``doc`` by headings and paragraphs into chunks of at most ~``chunk_tokens`` tokens.

    Paragraphs of one section are packed together; a paragraph over the budget is split by
    sentences, and a sentence over the budget by words. Consecutive chunks of a section share up
    to ``overlap`` tokens of whole sentences or words so no fact is cut in half without context.
    """
    if chunk_tokens < 1 or not 0 <= overlap < chunk_tokens:
        raise ValueError("need chunk_tokens >= 1 and 0 <= overlap < chunk_tokens")
    text = doc.text
    chunks: list[Chunk] = []
    for path, blocks in _sections(text):
        units = [unit for block in blocks for unit in _units(text, block, chunk_tokens)]
        for start, end in _pack(text, units, chunk_tokens, overlap):
            body = text[start:end]
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}#{len(chunks)}",
                    doc_id=doc.doc_id,
                    source=doc.source,
                    index=len(chunks),
                    heading_path=path,
                    start=start,
                    end=end,
                    text=body,
                    content_hash=content_hash(body, model),
                )
            )
    return chunks


def _sections(text: str) -> Iterator[tuple[tuple[str, ...], list[Span]]]:
    """(heading path, paragraph spans) per section; a heading line opens its section's first block."""
    path: list[tuple[int, str]] = []
    blocks: list[Span] = []
    current: tuple[str, ...] = ()
    para: list[int] = []  # [start, end] of the paragraph being read
    in_fence = False
    for match in re.finditer(r"[^\n]*\n|[^\n]+$", text):
        line = match.group().rstrip("\n")
        line_start = match.start()
        content_end = line_start + len(line.rstrip())
        heading = None if in_fence else _HEADING.match(line)
        if _FENCE.match(line):
            in_fence = not in_fence  # '#' lines inside code are comments, not headings
        if heading and heading.group(2):
            if para:
                blocks.append((para[0], para[1]))
                para = []
            if blocks:
                yield current, blocks
            level = len(heading.group(1))
            path = [item for item in path if item[0] < level] + [(level, heading.group(2))]
            current = tuple(title for _, title in path)
            blocks = [(line_start + len(line) - len(line.lstrip()), content_end)]
        elif not line.strip() and not in_fence:
            if para:
                blocks.append((para[0], para[1]))
                para = []
        elif line.strip():
            if not para:
                para = [line_start + len(line) - len(line.lstrip()), content_end]
            para[1] = content_end
    if para:
        blocks.append((para[0], para[1]))
    if blocks:
        yield current, blocks


def _units(text: str, span: Span, budget: int) -> list[Span]:
    """The span itself when it fits; else its sentences, and words of any sentence still too long."""
    if count_tokens(text[span[0] : span[1]]) <= budget:
        return [span]
    units: list[Span] = []
    for sentence in _split(text, span, _SENTENCE_END):
        if count_tokens(text[sentence[0] : sentence[1]]) <= budget:
            units.append(sentence)
        else:
            units.extend(_split_words(text, sentence, budget))
    return units


def _split(text: str, span: Span, separator: re.Pattern[str]) -> list[Span]:
    pieces: list[Span] = []
    position = span[0]
    for match in separator.finditer(text, span[0], span[1]):
        if match.start() > position:
            pieces.append((position, match.start()))
        position = match.end()
    if position < span[1]:
        pieces.append((position, span[1]))
    return pieces


def _split_words(text: str, span: Span, budget: int) -> list[Span]:
    words: list[Span] = []
    for match in _WORD.finditer(text, span[0], span[1]):
        if count_tokens(match.group()) <= budget:
            words.append(match.span())
        else:  # "a,b,c,..." with no spaces: fall back to single tokens
            words.extend(token.span() for token in _TOKEN.finditer(text, match.start(), match.end()))
    return words


def _pack(text: str, units: list[Span], budget: int, overlap: int) -> list[Span]:
    """Greedy packing of consecutive units; a new chunk repeats the previous one's tail up to ``overlap``."""
    sizes = [max(1, count_tokens(text[start:end])) for start, end in units]
    chunks: list[Span] = []
    current: list[int] = []  # indexes into units
    total = 0
    for i, size in enumerate(sizes):
        if current and total + size > budget:
            chunks.append((units[current[0]][0], units[current[-1]][1]))
            carried: list[int] = []
            carried_total = 0
            for j in reversed(current[1:]):  # never carry the whole chunk: each chunk must move forward
                if carried_total + sizes[j] > overlap or carried_total + sizes[j] + size > budget:
                    break
                carried.insert(0, j)
                carried_total += sizes[j]
            current, total = carried, carried_total
        current.append(i)
        total += size
    if current:
        chunks.append((units[current[0]][0], units[current[-1]][1]))
    return chunks
