"""Generators of structured-ish hostile input: HTML, markdown, PDFs, JSONL and CSV training lines."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.service.knowledge_bases.pdf import make_pdf

# Pieces of markup that have broken HTML parsers: marked sections, bogus comments, bad char refs.
HTML_PIECES = [
    "<p>",
    "</p>",
    "<h1>",
    "</h1>",
    "<h7>",
    "<script>",
    "</script>",
    "<style>",
    "<svg>",
    "</svg>",
    "<title>",
    "<br/>",
    "<!-- ",
    " -->",
    "--!>",
    "<![CDATA[",
    "]]>",
    "<![if !IE]>",
    "<![endif]>",
    "<!DOCTYPE html>",
    "<!",
    "<?xml ?>",
    "<?",
    "</",
    "<",
    ">",
    "&",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "&#xD800;",
    "&#99999999999999999999;",
    "&nosuchentity;",
    '<a href="x>',
    "<div a=b c='d' e>",
    "\x00",
    "\r",
    "\n\n",
    "שלום",
]
html = st.lists(st.sampled_from(HTML_PIECES) | st.text(max_size=12), max_size=40).map("".join)

MD_PIECES = ["# ", "## ", "####### ", "```", "~~~", "\n", "\n\n", "- ", "1. ", "> ", "|a|b|\n|-|-|\n", "#", " ", "\t", "\u200f"]
markdown = st.lists(st.sampled_from(MD_PIECES) | st.text(max_size=20), max_size=40).map("".join)

# PDF content-stream operators pypdf interprets while extracting text, with hostile operands.
PDF_OPERATORS = [
    "BT",
    "ET",
    "/F1 12 Tf",
    "/F9 0 Tf",
    "72 720 Td",
    "1e308 1e308 Td",
    "(hello) Tj",
    "[(a) -250 (b)] TJ",
    "<48656c6c6f> Tj",
    "<4> Tj",
    "T*",
    "0 0 0 0 0 0 Tm",
    "q",
    "Q",
    "Q Q Q",
    "1 0 0 1 0 0 cm",
    "(unbalanced Tj",
    ") Tj",
    "/Im1 Do",
    "BI /W 1 /H 1 ID x EI",
    "12 TL",
    "' (quote)",
    '" 1 2 (dq)',
    "\\",
]
pdf_stream = st.lists(st.sampled_from(PDF_OPERATORS), max_size=20).map(" ".join)


def pdf_with_stream(stream: str) -> bytes:
    """A well-formed PDF skeleton whose one page has ``stream`` as its content."""
    base = make_pdf(["PLACEHOLDER"])
    marker = b"BT /F1 12 Tf 72 720 Td (PLACEHOLDER) Tj ET"
    body = stream.encode("latin-1", "replace")
    # The xref offsets after the stream shift; pypdf must cope with that too (it rebuilds the xref).
    return base.replace(b"<< /Length %d >>" % len(marker), b"<< /Length %d >>" % len(body)).replace(marker, body)


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=15)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)


json_values = st.recursive(json_scalars, _containers, max_leaves=12)


def _tool_call(name: Any, arguments: Any) -> dict[str, Any]:
    return {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}


# OpenAI chat lines with tools: the token counter walks these (function names, arguments, tool roles).
openai_chat = st.builds(
    lambda turns, tools: json.dumps({"messages": turns, **({"tools": tools} if tools is not None else {})}),
    st.lists(
        st.fixed_dictionaries(
            {"role": st.sampled_from(["system", "user", "assistant", "tool", "function", "developer"]) | json_scalars},
            optional={
                "content": st.text(max_size=30) | json_values,
                "tool_calls": st.lists(st.builds(_tool_call, json_values, json_values), max_size=2) | json_values,
                "tool_call_id": json_scalars,
                "name": json_scalars,
                "weight": st.sampled_from([0, 1, 2, "1"]) | json_scalars,
            },
        ),
        max_size=5,
    ),
    st.none() | st.lists(json_values, max_size=2),
)

CSV_CELLS = ['"', '""', '"a,b"', "a\nb", '"a\nb"', "\r", ",", "x", "שלום", "\x00", " ", '"unterminated']
csv_row = st.lists(st.sampled_from(CSV_CELLS) | st.text(max_size=10), max_size=4).map(",".join)
