"""Every document parser, then the chunker the worker runs next, on hostile input: documents or a ParseError.

tests/service/knowledge_bases/test_parsers.py already throws raw bytes, jsonl lines and byte edits of a PDF at
``parse_file``; these add markup-shaped HTML and markdown, PDF content streams, truncated PDFs,
odd file names, and the parse -> chunk pipeline of an ingestion job.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service.knowledge_bases.chunking import chunk_document
from service.knowledge_bases.defaults import SUPPORTED_EXTENSIONS
from service.knowledge_bases.parsers import ParsedDocument, ParseError, html_to_text, parse_file
from tests.service.fuzz.strategies import html, json_values, markdown, pdf_stream, pdf_with_stream
from tests.service.knowledge_bases.pdf import make_pdf

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CODES = {
    "unsupported_file_type",
    "invalid_encoding",
    "empty_document",
    "invalid_pdf",
    "invalid_json",
    "missing_id",
    "missing_text",
    "invalid_metadata",
    "duplicate_id",
    "invalid_id",
}


def parse_and_chunk(data: bytes, filename: str) -> list[ParsedDocument]:
    """What an ingestion job does with one file; a finding is a ParseError with a known code."""
    try:
        documents = parse_file(data, filename)
    except ParseError as error:
        assert error.code in CODES, error.code
        assert error.message and (error.line is None or error.line >= 1)
        return []
    assert documents
    for document in documents:
        assert document.text.strip() and "\x00" not in document.text
        chunks = chunk_document(document, chunk_tokens=60, overlap=10)
        assert all(chunk.text == document.text[chunk.start : chunk.end] for chunk in chunks)
        assert "".join(chunk.text for chunk in chunks).strip() or not document.text.strip()
    return documents


@FUZZ
@given(html)
@example("<![if !IE]><p>x</p><![endif]>")
@example("<!--><p>after a bogus comment</p>")
@example("&#x110000;&#xD800;&#0;<h1>\x00</h1>")
def test_html_markup(text: str) -> None:
    html_to_text(text)
    parse_and_chunk(text.encode("utf-8", "surrogatepass"), "page.html")


@FUZZ
@given(markdown, st.sampled_from(["notes.md", "NOTES.MARKDOWN", "a.txt"]))
def test_markdown_and_text(text: str, name: str) -> None:
    parse_and_chunk(text.encode("utf-8", "surrogatepass"), name)


@FUZZ
@given(pdf_stream)
def test_pdf_content_streams(stream: str) -> None:
    parse_and_chunk(pdf_with_stream(stream), "content.pdf")


VALID_PDF = make_pdf(["Expense reports are due in 30 days.", "Badges are replaced at reception.", "(parens) \\ back"])


@FUZZ
@given(st.integers(0, len(VALID_PDF)), st.binary(max_size=40))
def test_truncated_and_spliced_pdfs(cut: int, tail: bytes) -> None:
    parse_and_chunk(VALID_PDF[:cut] + tail, "cut.pdf")


@FUZZ
@given(st.lists(st.text(max_size=60), min_size=1, max_size=4))
def test_pdfs_of_arbitrary_page_text(pages: list[str]) -> None:
    # make_pdf writes ASCII; anything else is replaced, as a PDF export would with a missing glyph.
    ascii_pages = [page.encode("ascii", "replace").decode() for page in pages]
    parse_and_chunk(make_pdf(ascii_pages), "pages.pdf")


@FUZZ
@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "id": json_values | st.integers(-(10**30), 10**30) | st.text(max_size=8),
                "text": json_values | st.text(max_size=40),
                "metadata": json_values,
            },
        ).map(json.dumps)
        | st.sampled_from(["", "\r", "NaN", "[1,", '{"id": 1, "id": 2, "text": "dup keys"}', "\ufeff{}"]),
        max_size=6,
    ),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_jsonl_records(lines: list[str], eol: str, bom: bool) -> None:
    data = ("\ufeff" if bom else "") + eol.join(lines)
    documents = parse_and_chunk(data.encode("utf-8", "surrogatepass"), "records.jsonl")
    ids = [document.doc_id for document in documents]
    assert len(ids) == len(set(ids))


@FUZZ
@given(
    st.text(max_size=40),
    st.sampled_from([*SUPPORTED_EXTENSIONS, ".PDF", ".Html", ".tar.gz", "", ".", ".jsonl.exe"]),
    st.binary(max_size=200),
)
def test_any_file_name(stem: str, suffix: str, data: bytes) -> None:
    documents = parse_and_chunk(data, stem + suffix)
    for document in documents:
        assert "/" not in document.source and "\\" not in document.source
