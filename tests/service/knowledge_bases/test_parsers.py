"""Uploaded files to documents: each format, the errors a user sees, and no crash on any bytes."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.errors import AdvisorError
from service.knowledge_bases.chunking import chunk_document
from service.knowledge_bases.parsers import ParseError, parse_file
from tests.service.fuzz.test_parsers_fuzz import CODES
from tests.service.knowledge_bases.pdf import make_pdf


def test_text_and_markdown_are_utf8_with_the_bom_dropped() -> None:
    [doc] = parse_file("\ufeff# כותרת\n\nשלום עולם".encode(), "notes/hello.md")
    assert (doc.doc_id, doc.source, doc.text) == ("hello.md", "hello.md", "# כותרת\n\nשלום עולם")
    [txt] = parse_file(b"plain text", "a.TXT")
    assert txt.text == "plain text"


def test_undecodable_text_names_the_line() -> None:
    with pytest.raises(ParseError) as error:
        parse_file(b"line one\nline two \xff\xfe here", "bad.txt")
    assert error.value.code == "invalid_encoding" and error.value.line == 2
    assert "UTF-8" in error.value.message


def test_html_keeps_visible_text_and_headings_and_drops_scripts() -> None:
    html = b"""<html><head><title>T</title><style>p {color: red}</style></head><body>
    <h1>Security</h1><p>Laptops use <b>disk encryption</b>.</p>
    <script>ignore()</script><h2>VPN &amp; MFA</h2><div>Use the VPN.</div></body></html>"""
    [doc] = parse_file(html, "security.html")
    assert doc.text == "# Security\n\nLaptops use disk encryption.\n\n## VPN & MFA\n\nUse the VPN."


def test_html_code_stays_code_and_table_rows_stay_rows() -> None:
    html = b"""<h1>Install</h1><pre>
# install the client
pip install larkspur

# check it
larkspur --version</pre>
<h2>Plans</h2><table>
  <tr><th>Plan</th><th>Price</th></tr>
  <tr><td>Tier 1</td><td><p>$249</p></td></tr>
  <tr><td>Tier 2</td><td>$890</td></tr>
</table>"""
    [doc] = parse_file(html, "guide.html")
    assert doc.text == (
        "# Install\n\n```\n# install the client\npip install larkspur\n\n# check it\nlarkspur --version\n```\n\n"
        "## Plans\n\nPlan | Price\nTier 1 | $249\nTier 2 | $890"
    )
    chunks = chunk_document(doc, 200, 20)
    assert [c.heading for c in chunks] == ["Install", "Install > Plans"], "a # comment in <pre> is not a heading"


def test_pdf_has_a_section_per_page() -> None:
    [doc] = parse_file(make_pdf(["Expense reports are due in 30 days.", "Badges are replaced at reception."]), "h.pdf")
    assert doc.text == "# Page 1\n\nExpense reports are due in 30 days.\n\n# Page 2\n\nBadges are replaced at reception."


def test_damaged_pdf_is_a_parse_error() -> None:
    with pytest.raises(ParseError) as error:
        parse_file(b"%PDF-1.4 not really", "broken.pdf")
    assert error.value.code == "invalid_pdf"


def test_jsonl_lines_are_documents() -> None:
    lines = [
        {"id": "faq-1", "text": "Lost badges are replaced at reception.", "metadata": {"team": "facilities"}},
        {"id": 7, "text": "Second"},
    ]
    docs = parse_file("\n".join(json.dumps(line) for line in lines).encode() + b"\n\n", "faq.jsonl")
    assert [(d.doc_id, d.source) for d in docs] == [("faq-1", "faq.jsonl"), ("7", "faq.jsonl")]
    assert docs[0].metadata["team"] == "facilities" and docs[0].text.startswith("Lost badges")


@pytest.mark.parametrize(
    ("lines", "code", "line"),
    [
        (['{"id": "a", "text": "x"}', "{not json"], "invalid_json", 2),
        (['{"id": "a", "text": "x"}', "", "[1, 2]"], "invalid_json", 3),
        (['{"text": "x"}'], "missing_id", 1),
        (['{"id": "a", "text": ""}'], "missing_text", 1),
        (['{"id": "a", "text": "x", "metadata": []}'], "invalid_metadata", 1),
        (['{"id": "a", "text": "x"}', '{"id": "a", "text": "y"}'], "duplicate_id", 2),
    ],
)
def test_jsonl_errors_carry_the_line(lines: list[str], code: str, line: int) -> None:
    with pytest.raises(ParseError) as error:
        parse_file("\n".join(lines).encode(), "docs.jsonl")
    assert (error.value.code, error.value.line) == (code, line)
    assert error.value.to_problem()["line"] == line


@pytest.mark.parametrize("name", ["slides.pptx", "README", "archive.tar.gz"])
def test_unsupported_extension(name: str) -> None:
    with pytest.raises(ParseError) as error:
        parse_file(b"anything", name)
    assert error.value.code == "unsupported_file_type" and ".pdf" in error.value.message


@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.html", "empty.jsonl"])
def test_empty_files_say_so(name: str) -> None:
    with pytest.raises(ParseError) as error:
        parse_file(b"  \n\n", name)
    assert error.value.code == "empty_document"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".txt", ".md", ".html", ".pdf", ".jsonl", ".exe"]))
def test_arbitrary_bytes_never_crash(data: bytes, suffix: str) -> None:
    try:
        docs = parse_file(data, f"upload{suffix}")
    except AdvisorError as error:
        assert error.code and error.message
    else:
        assert docs and all(isinstance(doc.text, str) and doc.text.strip() for doc in docs)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=80),
            st.dictionaries(
                st.sampled_from(["id", "text", "metadata"]),
                st.one_of(st.text(), st.integers(), st.none(), st.dictionaries(st.text(max_size=5), st.text(max_size=5))),
            ).map(json.dumps),
        ),
        max_size=8,
    )
)
def test_arbitrary_jsonl_lines_never_crash(lines: list[str]) -> None:
    try:
        parse_file("\n".join(lines).encode("utf-8", "surrogatepass"), "fuzz.jsonl")
    except ParseError as error:
        assert error.code in CODES, error.code  # every documented parser code (an id over 300 characters or with NUL: invalid_id)


VALID_PDF = make_pdf(["Expense reports are due in 30 days.", "Badges are replaced at reception."])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(VALID_PDF) - 1), st.integers(0, 255)), min_size=1, max_size=12))
def test_damaged_pdfs_never_crash(edits: list[tuple[int, int]]) -> None:
    data = bytearray(VALID_PDF)
    for position, value in edits:
        data[position] = value
    try:
        parse_file(bytes(data), "damaged.pdf")
    except ParseError as error:
        assert error.code in {"invalid_pdf", "empty_document"}
