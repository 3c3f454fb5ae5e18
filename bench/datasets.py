"""Validation speed and memory against a bare json.loads + tiktoken loop, on one 100k-line file.

Run: .venv/bin/python bench/datasets.py [LINES]. Prints both times, their ratio (goal <= 3x) and the
peak RSS growth of validation, sampled in a fresh process (goal <= 100 MB). Not a pass/fail test.
"""

from __future__ import annotations

import gc
import json
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# `python bench/datasets.py` puts bench/ first on sys.path, where bench/http.py shadows the stdlib `http`.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from service.datasets.validate import validate_file  # noqa: E402
from service.providers.tokens import encoding_for_model  # noqa: E402

WORDS = (
    "refund",
    "order",
    "invoice",
    "shipping",
    "delay",
    "account",
    "password",
    "reset",
    "the",
    "a",
    "to",
    "of",
    "and",
    "for",
    "is",
    "customer",
    "please",
    "thanks",
    "policy",
    "days",
    "within",
    "return",
    "label",
    "warranty",
    "replace",
    "item",
    "frame",
    "wheel",
    "brake",
    "chain",
)


def _sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize() + "."


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name.replace('_', ' ').capitalize()} for a customer order.",
            "parameters": {
                "type": "object",
                "properties": {
                    "order_id": {"type": "string", "description": "The order number."},
                    "reason": {"type": "string", "enum": ["late", "damaged", "wrong_item", "other"], "description": "Why."},
                },
                "required": ["order_id"],
            },
        },
    }
    for name in ("track_order", "refund_order", "cancel_order", "replace_item", "update_address", "open_ticket")
]
TOOL_SHARE = 4  # every 4th line is a tool round trip: tools, a call, its result, the answer


def write_file(path: Path, lines: int, seed: int = 7) -> None:
    """A support-bot chat set, every example distinct; a quarter of the lines call a tool."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for i in range(lines):
            messages: list[dict[str, object]] = [
                {"role": "system", "content": "You are Acme's support assistant. Answer in two sentences."},
                {"role": "user", "content": f"Ticket {i}: {_sentence(rng, 8, 40)}"},
            ]
            line: dict[str, object] = {"messages": messages}
            if i % TOOL_SHARE == 0:
                arguments = json.dumps({"order_id": f"A{i}", "reason": rng.choice(["late", "damaged"])})
                call = {"id": f"call_{i}", "type": "function", "function": {"name": "track_order", "arguments": arguments}}
                messages += [
                    {"role": "assistant", "tool_calls": [call]},
                    {"role": "tool", "tool_call_id": f"call_{i}", "content": json.dumps({"status": _sentence(rng, 3, 8)})},
                ]
                line["tools"] = TOOLS
            messages.append({"role": "assistant", "content": _sentence(rng, 10, 60)})
            out.write(json.dumps(line) + "\n")


def bare_loop(path: Path) -> int:
    """The floor: parse every line and encode every text it holds (contents, call arguments, tool JSON), nothing else."""
    encoding = encoding_for_model("gpt-4.1-mini").encoding
    total = 0
    with path.open("rb") as handle:
        for raw in handle:
            line = json.loads(raw)
            for message in line["messages"]:
                total += len(encoding.encode_ordinary(message.get("content") or json.dumps(message.get("tool_calls"))))
            if "tools" in line:
                total += len(encoding.encode_ordinary(json.dumps(line["tools"])))
    return total


def _rss_mb() -> float:
    """Current resident set size (Linux /proc)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def child(path: str) -> None:
    """In a fresh process, sample RSS while validating: ru_maxrss would still hold the tokenizer's load peak."""
    encoding_for_model("gpt-4.1-mini")
    gc.collect()
    before = peak = _rss_mb()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    report = validate_file(Path(path))
    done.set()
    sampler.join()
    peak = max(peak, _rss_mb())
    print(json.dumps({"before": before, "after": peak, "examples": report.examples, "ok": report.ok}))


def main(lines: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.jsonl"
        write_file(path, lines)
        encoding_for_model("gpt-4.1-mini")  # load the encoding outside both timings
        started = time.perf_counter()
        bare_loop(path)
        bare = time.perf_counter() - started
        started = time.perf_counter()
        report = validate_file(path)
        full = time.perf_counter() - started
        memory = json.loads(
            subprocess.run([sys.executable, __file__, "--child", str(path)], check=True, capture_output=True, text=True).stdout
        )
        size = path.stat().st_size / 1e6
    print(f"file: {lines:,} lines, {size:.1f} MB; {report.examples:,} valid examples, ok={report.ok}")
    print(f"bare json.loads + encode: {bare:.2f} s")
    print(f"validate_file:            {full:.2f} s")
    print(f"ratio: {full / bare:.2f}x (goal <= 3x)")
    print(f"peak RSS growth during validation: {memory['after'] - memory['before']:.1f} MB (goal <= 100 MB)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
