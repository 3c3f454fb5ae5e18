"""Documents to retrievable chunks: by Markdown heading, then paragraph or code block, within a budget
of the embedding model's own tokens.

Sizes are counted with the embedding model's tokenizer, and a budget never exceeds the model's window
(all-MiniLM-L6-v2 reads 256 wordpieces, two of them [CLS] and [SEP]): whatever a chunk says is
embedded, none of it is cut off. Hebrew costs that tokenizer about one wordpiece per letter, so a
Hebrew chunk holds fewer words than an English one of the same budget; BM25 reads them all alike.

Structure: ATX (``#``) and setext (underlined) headings open sections; fenced code blocks (``` or
~~~, closed only by a fence of the same character at least as long) are never split by sentence and
never searched for headings, so ``# install`` inside one stays code. An oversized block is split by
sentences (prose) or lines (code), then by whole words: a word, Hebrew or not, is never cut unless it
alone exceeds the budget.

Every chunk is a contiguous slice of the document: ``doc.text[chunk.start:chunk.end] == chunk.text``.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from service.embeddings.tokens import ModelTokens, tokens_for
from service.knowledge_bases.parsers import ParsedDocument

HEADING_SEPARATOR = " > "
DEFAULT_OVERLAP_SHARE = 0.15
CONTEXT_SHARE = 4  # the heading path may take up to 1/4 of the window
_HEADING = re.compile(r"[ ]{0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"[ ]{0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"[ ]{0,3}(`{3,}|~{3,})")
_SENTENCE_END = re.compile(r"(?<=[.!?;:؟。…׃])\s+|\n+")
_LINE = re.compile(r"\n+")
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
    context: str = ""

    @property
    def heading(self) -> str:
        """The heading path joined with " > " ("" before the first heading)."""
        return HEADING_SEPARATOR.join(self.heading_path)

    @property
    def embedding_text(self) -> str:
        """What the embedding model reads: the heading path, then the chunk (see ``chunk_document``)."""
        return f"{self.context}\n{self.text}" if self.context else self.text


def fit(chunk_tokens: int | None, overlap: int | None, tokens: ModelTokens) -> tuple[int, int]:
    """The budget and overlap actually used: at most the model's window, overlap smaller than the budget."""
    budget = tokens.window if chunk_tokens is None else max(1, min(chunk_tokens, tokens.window))
    wanted = round(budget * DEFAULT_OVERLAP_SHARE) if overlap is None else overlap
    return budget, max(0, min(wanted, budget - 1))


def content_hash(text: str, model: str) -> str:
    """sha256 of the chunk text and the embedding model: the same text under another model is new."""
    return hashlib.sha256(f"{model}\x00{text}".encode("utf-8", "surrogatepass")).hexdigest()


class _Counter:
    """Token counts of spans of one text, from one tokenizer pass over it."""

    def __init__(self, text: str, tokens: ModelTokens) -> None:
        self.starts = tokens.starts(text)

    def __call__(self, span: Span) -> int:
        return bisect.bisect_left(self.starts, span[1]) - bisect.bisect_left(self.starts, span[0])


def chunk_document(
    doc: ParsedDocument,
    chunk_tokens: int | None = None,
    overlap: int | None = None,
    model: str = "",
    tokens: ModelTokens | None = None,
) -> list[Chunk]:
    """Split ``doc`` by headings and blocks into chunks of at most ``chunk_tokens`` model tokens.

    ``tokens`` counts them (default: the tokenizer of ``model``); the budget is clamped to the model's
    window and defaults to all of it. Blocks of one section are packed together; consecutive chunks of
    a section share up to ``overlap`` tokens of whole sentences, lines or words.
    """
    if (chunk_tokens is not None and chunk_tokens < 1) or (overlap is not None and overlap < 0):
        raise ValueError("need chunk_tokens >= 1 and overlap >= 0")
    if chunk_tokens is not None and overlap is not None and overlap >= chunk_tokens:
        raise ValueError("overlap must be smaller than chunk_tokens")
    tokens = tokens or tokens_for(model)
    budget, overlap = fit(chunk_tokens, overlap, tokens)
    text = doc.text
    count = _Counter(text, tokens)
    chunks: list[Chunk] = []
    for path, blocks in _sections(text):
        context, room = _context(path, tokens)
        section_budget = min(budget, room)
        section_overlap = min(overlap, section_budget - 1)
        units = [unit for block, code in blocks for unit in _units(text, block, code, section_budget, count)]
        for start, end in _pack(units, section_budget, section_overlap, count):
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
                    content_hash=content_hash(f"{context}\n{body}" if context else body, model),
                    context=context,
                )
            )
    return chunks


def _context(path: tuple[str, ...], tokens: ModelTokens) -> tuple[str, int]:
    """The heading path embedded before each chunk of a section, and the tokens left for the chunk.

    A chunk deep in a document ("Rate limits: Tier 2 > Route optimisation") often does not repeat
    the title that tells it from its near-duplicates. Embedding the path with it raised dense hit@1 on
    English questions of our held-out corpus by about a fifth (docs/decisions/0012). The path takes at
    most a quarter of the window: a longer one is cut to its last heading, or left out.
    """
    limit = tokens.window // CONTEXT_SHARE
    for context in (HEADING_SEPARATOR.join(path), path[-1] if path else ""):
        cost = tokens.count(context) + 1 if context else 0  # the line break reads as nothing, counted anyway
        if cost <= limit:
            return context, max(1, tokens.window - cost)
    return "", tokens.window


class _Section:
    """The blocks of the section being read: paragraphs and code blocks, as (span, is_code)."""

    def __init__(self) -> None:
        self.blocks: list[tuple[Span, bool]] = []
        self.open: list[int] | None = None  # [start, end] of the block being read
        self.code = False

    def extend(self, start: int, end: int, code: bool = False) -> None:
        if self.open is None:
            self.open, self.code = [start, end], code
        self.open[1] = end

    def close(self) -> None:
        if self.open is not None:
            self.blocks.append(((self.open[0], self.open[1]), self.code))
            self.open = None


def _sections(text: str) -> Iterator[tuple[tuple[str, ...], list[tuple[Span, bool]]]]:
    """(heading path, blocks) per section; a heading line opens its section's first block."""
    path: list[tuple[int, str]] = []
    current: tuple[str, ...] = ()
    section = _Section()
    fence: str | None = None  # the opening fence while inside a code block
    previous: tuple[int, int, str] | None = None  # a lone paragraph line: (start, end, text), maybe a setext title
    for match in re.finditer(r"[^\n]*\n|[^\n]+$", text):
        line = match.group().rstrip("\n")
        start = match.start() + len(line) - len(line.lstrip())
        end = match.start() + len(line.rstrip())
        if fence is not None:
            if line.strip():  # blank lines inside code neither end the block nor move its end
                section.extend(start, end, code=True)
            closing = _FENCE.match(line)
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence) and not line.strip(" `~"):
                fence = None
                section.close()
            continue
        opening = _FENCE.match(line)
        heading = _HEADING.match(line)
        setext = _SETEXT.match(line)
        if opening:
            section.close()
            fence = opening.group(1)
            section.extend(start, end, code=True)
            previous = None
            continue
        title, level, title_start = None, 0, start
        if heading and heading.group(2):
            title, level = heading.group(2), len(heading.group(1))
        elif setext and previous is not None and section.open == [previous[0], previous[1]]:
            title, level, title_start = previous[2], 1 if setext.group(1)[0] == "=" else 2, previous[0]
            section.open = None  # the title line belongs to the new section, not to the old one's last paragraph
        if title is not None:
            section.close()
            if section.blocks:
                yield current, section.blocks
            section = _Section()
            path = [item for item in path if item[0] < level] + [(level, title)]
            current = tuple(name for _, name in path)
            section.blocks.append(((title_start, end), False))
            previous = None
        elif not line.strip():
            section.close()
            previous = None
        else:
            lone = section.open is None
            section.extend(start, end)
            previous = (start, end, line.strip()) if lone else None
    section.close()
    if section.blocks:
        yield current, section.blocks


def _units(text: str, span: Span, code: bool, budget: int, count: _Counter) -> list[Span]:
    """The block itself when it fits; else its sentences (or lines of code), and words of any still too long."""
    if count(span) <= budget:
        return [span]
    units: list[Span] = []
    for piece in _split(text, span, _LINE if code else _SENTENCE_END):
        if count(piece) <= budget:
            units.append(piece)
        else:
            units.extend(_split_words(text, piece, budget, count))
    return units


def _split(text: str, span: Span, separator: re.Pattern[str]) -> list[Span]:
    pieces: list[Span] = []
    position = span[0]
    for match in separator.finditer(text, span[0], span[1]):
        if match.start() > position and text[position : match.start()].strip():
            pieces.append((position, match.start()))
        position = match.end()
    if position < span[1] and text[position : span[1]].strip():
        pieces.append((position, span[1]))
    return pieces


def _split_words(text: str, span: Span, budget: int, count: _Counter) -> list[Span]:
    words: list[Span] = []
    for match in _WORD.finditer(text, span[0], span[1]):
        if count(match.span()) <= budget:
            words.append(match.span())
        else:  # one "word" over the budget (a URL, a base64 blob): cut it between characters
            words.extend(_cut(text, match.span(), budget, count))
    return words


def _cut(text: str, span: Span, budget: int, count: _Counter) -> list[Span]:
    """Pieces of at most ``budget`` tokens, never separating a letter from its combining marks (niqqud)."""
    pieces: list[Span] = []
    start = span[0]
    while start < span[1]:
        end = start + 1
        while end < span[1] and count((start, end + 1)) <= budget:
            end += 1
        while end < span[1] and unicodedata.combining(text[end]) and end > start + 1:
            end -= 1
        pieces.append((start, end))
        start = end
    return pieces


def _pack(units: list[Span], budget: int, overlap: int, count: _Counter) -> list[Span]:
    """Greedy packing of consecutive units; a new chunk repeats the previous one's tail up to ``overlap``."""
    sizes = [max(1, count(unit)) for unit in units]
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
