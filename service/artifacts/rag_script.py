"""``rag_index.py``: the script a RAG artifact ships, to build and use the same kind of index outside the service.

It needs only chromadb and sentence-transformers (pypdf for PDFs). Its chunking follows the service's
rules in a compact form: sections by Markdown heading (``#`` inside fenced code is code), paragraphs
packed up to the model's own token budget with overlap, the heading path embedded before each chunk,
cosine distance, and records keyed by a hash of model, heading path and text, so a re-run embeds only
what changed. Its search is dense only; the service adds BM25 and fusion on top.
"""

from __future__ import annotations

SCRIPT = '''#!/usr/bin/env python3
"""Build, search and use a RAG index with the settings of your Tuning Advisor advice.

    pip install chromadb sentence-transformers   # and pypdf for PDF files
    python rag_index.py build ./docs --db ./kb                # again after any change: only changes are embedded
    python rag_index.py query "How many vacation days do I get?" --db ./kb
    python rag_index.py training-data dataset.jsonl --db ./kb --provider %(provider)s --out rag_train.jsonl

RAG_MODEL (environment) overrides the embedding model, e.g. with a local path when offline.
"""

import argparse
import hashlib
import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

MODEL = os.environ.get("RAG_MODEL", %(model)r)
CHUNK_TOKENS = %(chunk_tokens)d
OVERLAP = %(overlap)d
COLLECTION = %(collection)r
SYSTEM = %(system)r
NO_MATCH = %(no_match)r
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \\t]+(.+?)[ \\t#]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
SENTENCE = re.compile(r"(?<=[.!?;:])\\s+")


class _Html(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.hidden, self.pre = [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.hidden += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self.out.append("\\n\\n" + "#" * int(tag[1]) + " ")
        elif tag == "pre":
            self.pre += 1
            self.out.append("\\n\\n```\\n")
        elif tag in ("td", "th"):
            self.out.append(" | ")
        elif tag in ("p", "div", "li", "tr", "br", "section", "table"):
            self.out.append("\\n\\n" if tag != "tr" else "\\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self.hidden = max(0, self.hidden - 1)
        elif re.fullmatch(r"h[1-6]", tag):
            self.out.append("\\n\\n")
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self.out.append("\\n```\\n\\n")

    def handle_data(self, data):
        if not self.hidden:
            self.out.append(data if self.pre else re.sub(r"[ \\t\\r\\n]+", " ", data))


def read(path):
    if path.suffix.lower() in (".html", ".htm"):
        parser = _Html()
        parser.feed(path.read_text(encoding="utf-8"))
        return "".join(parser.out)
    if path.suffix.lower() == ".pdf":
        from pypdf import PdfReader

        pages = [page.extract_text() or "" for page in PdfReader(str(path)).pages]
        return "\\n\\n".join(f"# Page {i}\\n\\n{text}" for i, text in enumerate(pages, 1) if text.strip())
    return path.read_text(encoding="utf-8-sig")


def sections(text):
    """(heading path, blocks) per section; a fenced block is one block, and '#' inside it is code."""
    path, blocks, block, fence = [], [], [], None
    for line in text.splitlines():
        if fence:
            block.append(line)
            if line.strip().startswith(fence) and not line.strip(fence[0] + " "):
                fence = None
            continue
        opening, heading = FENCE.match(line), HEADING.match(line)
        if opening or heading or not line.strip():
            if block:
                blocks.append("\\n".join(block).strip())
                block = []
        if opening:
            fence, block = opening.group(1), [line]
        elif heading:
            if blocks:
                yield tuple(title for _, title in path), blocks
            level = len(heading.group(1))
            path = [(lvl, title) for lvl, title in path if lvl < level] + [(level, heading.group(2))]
            blocks = [line.strip()]
        elif line.strip():
            block.append(line)
    if block:
        blocks.append("\\n".join(block).strip())
    if blocks:
        yield tuple(title for _, title in path), blocks


def units(block, budget, count):
    if count(block) <= budget:
        return [block]
    out = []
    for piece in (block.splitlines() if block.startswith(("```", "~~~")) else SENTENCE.split(block)):
        if count(piece) <= budget:
            out.append(piece)
        else:
            out.extend(piece.split())
    return [u for u in out if u.strip()]


def chunk(text, tokenizer, window):
    def count(text):
        return len(tokenizer(text, add_special_tokens=False, truncation=False, verbose=False)["input_ids"])

    for path, blocks in sections(text):
        context = " > ".join(path)
        budget = max(1, min(CHUNK_TOKENS, window - (count(context) + 1 if context else 0)))
        sizes, pieces = [], []
        for block in blocks:
            for unit in units(block, budget, count):
                pieces.append(unit)
                sizes.append(max(1, count(unit)))
        current, total = [], 0
        for i, size in enumerate(sizes):
            if current and total + size > budget:
                yield context, "\\n\\n".join(pieces[j] for j in current)
                carried = []
                for j in reversed(current[1:]):
                    if sum(sizes[c] for c in carried) + sizes[j] > OVERLAP:
                        break
                    carried.insert(0, j)
                current, total = carried, sum(sizes[c] for c in carried)
            current.append(i)
            total += size
        if current:
            yield context, "\\n\\n".join(pieces[j] for j in current)


def open_index(db):
    import chromadb
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(MODEL, device="cpu")
    client = chromadb.PersistentClient(path=db)
    collection = client.get_or_create_collection(
        COLLECTION, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    return model, collection


def build(args):
    model, collection = open_index(args.db)
    window = model.max_seq_length - 2  # [CLS] and [SEP]
    report = {"documents": 0, "chunks": 0, "embedded": 0, "kept": 0, "removed": 0}
    for path in sorted(Path(args.folder).rglob("*")):
        if path.suffix.lower() not in (".md", ".markdown", ".txt", ".html", ".htm", ".pdf"):
            continue
        records = {}
        for i, (context, text) in enumerate(chunk(read(path), model.tokenizer, window)):
            digest = hashlib.sha256(f"{MODEL}\\x00{context}\\x00{text}".encode()).hexdigest()[:16]
            records[f"{path.name}#{i}@{digest}"] = (context, text, i)
        existing = set(collection.get(where={"doc": path.name}, include=[])["ids"])
        new = [rid for rid in records if rid not in existing]
        if new:
            texts = [f"{records[r][0]}\\n{records[r][1]}" if records[r][0] else records[r][1] for r in new]
            vectors = model.encode(texts, normalize_embeddings=True).tolist()
            metadatas = [{"doc": path.name, "heading": records[r][0], "chunk": records[r][2]} for r in new]
            collection.upsert(ids=new, embeddings=vectors, documents=[records[r][1] for r in new], metadatas=metadatas)
        stale = sorted(existing - set(records))
        if stale:
            collection.delete(ids=stale)
        report["documents"] += 1
        report["chunks"] += len(records)
        report["embedded"] += len(new)
        report["kept"] += len(records) - len(new)
        report["removed"] += len(stale)
    print(json.dumps(report))


def search(model, collection, question, k):
    vector = model.encode([question], normalize_embeddings=True).tolist()
    found = collection.query(query_embeddings=vector, n_results=k, include=["documents", "metadatas", "distances"])
    return [
        {"doc": meta["doc"], "heading": meta["heading"], "text": text, "cosine": round(1 - distance, 4)}
        for text, meta, distance in zip(found["documents"][0], found["metadatas"][0], found["distances"][0])
    ]


def query(args):
    model, collection = open_index(args.db)
    print(json.dumps({"hits": search(model, collection, args.question, args.k)}, ensure_ascii=False, indent=1))


def documents_text(hits):
    if not hits:
        return "(none)"
    return "\\n\\n".join(
        f"[{i}] {hit['doc']}{' > ' + hit['heading'] if hit['heading'] else ''}\\n{hit['text']}" for i, hit in enumerate(hits, 1)
    )


def record(provider, question, hits, answer):
    note = f"\\n\\n{NO_MATCH}" if not hits else ""
    user = f"Documents:\\n\\n{documents_text(hits)}{note}\\n\\nQuestion: {question}"
    if provider == "google":
        return {
            "systemInstruction": {"role": "system", "parts": [{"text": SYSTEM}]},
            "contents": [{"role": "user", "parts": [{"text": user}]}, {"role": "model", "parts": [{"text": answer}]}],
        }
    if provider == "anthropic":
        return {"system": SYSTEM, "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}
    turns = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
    return {"messages": turns + [{"role": "assistant", "content": answer}]}


def pair(line):
    item = json.loads(line)
    if "messages" in item:
        users = [m["content"] for m in item["messages"] if m.get("role") == "user"]
        answers = [m["content"] for m in item["messages"] if m.get("role") == "assistant"]
        return users[-1], answers[-1]
    return item["input"], item["output"]


def training_data(args):
    model, collection = open_index(args.db)
    pairs = [pair(line) for line in Path(args.dataset).read_text(encoding="utf-8").splitlines() if line.strip()]
    every = round(1 / args.unanswerable_share) if args.unanswerable_share > 0 else 0
    with open(args.out, "w", encoding="utf-8") as out:
        for i, (question, answer) in enumerate(pairs):
            if every and i %% every == every - 1 and len(pairs) > 1:
                # Teach the refusal: another question's documents, and the answer the prompt asks for.
                other = pairs[(i + len(pairs) // 2) %% len(pairs)][0]
                hits, answer = search(model, collection, other, args.k), "I don't know."
            else:
                hits = search(model, collection, question, args.k)
            out.write(json.dumps(record(args.provider, question, hits, answer), ensure_ascii=False) + "\\n")
    print(json.dumps({"examples": len(pairs), "out": args.out}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="chunk, embed and upsert every document of a folder")
    b.add_argument("folder")
    q = commands.add_parser("query", help="the nearest chunks to a question")
    q.add_argument("question")
    q.add_argument("--k", type=int, default=5)
    t = commands.add_parser("training-data", help="fine-tuning examples whose prompt holds retrieved chunks")
    t.add_argument("dataset", help="JSONL of {input, output} or {messages}")
    t.add_argument("--provider", default=%(provider)r, choices=["openai", "google", "anthropic", "open_weights"])
    t.add_argument("--out", default="rag_train.jsonl")
    t.add_argument("--k", type=int, default=4)
    t.add_argument("--unanswerable-share", type=float, default=0.1)
    for command in (b, q, t):
        command.add_argument("--db", default="./rag_index")
    args = parser.parse_args()
    {"build": build, "query": query, "training-data": training_data}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
'''


def render(*, model: str, chunk_tokens: int, overlap: int, collection: str, provider: str, system: str, no_match: str) -> str:
    """The script with the advice's settings filled in."""
    return SCRIPT % {
        "model": model,
        "chunk_tokens": chunk_tokens,
        "overlap": overlap,
        "collection": collection,
        "provider": provider,
        "system": system,
        "no_match": no_match,
    }
