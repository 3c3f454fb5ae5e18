"""Runnable Python for few-shot prompts: call the provider, keep per-user state, compare zero- and few-shot.

Only text is written here; no provider SDK is imported (only ``service.providers`` may). Keys always
come from the environment. Anthropic calls carry no temperature/top_p/top_k: anthropic 2.x refuses them.
"""

from __future__ import annotations

import pprint
from typing import Any

from service.prompts.renderers import INPUT, Shape


def _literal(value: Any) -> str:
    # pprint writes valid Python literals (long strings split into adjacent pieces, Hebrew stays readable).
    return pprint.pformat(value, width=110, sort_dicts=False)


_FILL = '''

def fill(value, values):
    """Replace each {{name}} in the prompt with values[name]; one pass, so filled text is never re-read."""
    if isinstance(value, str):
        return re.sub(r"\\{\\{(\\w+)\\}\\}", lambda m: str(values.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, values) for key, item in value.items()}
    return value
'''


def _client(shape: Shape, model: str, schema: dict[str, Any] | None, open_weights: bool) -> str:
    """Imports, a client and ``complete(prompt) -> str`` for one provider."""
    json_output = schema is not None
    if shape == "anthropic":
        extra = ', output_config={"format": {"type": "json_schema", "schema": OUTPUT_SCHEMA}}' if json_output else ""
        schema_line = f"OUTPUT_SCHEMA = {_literal(schema)}\n" if json_output else ""
        return (
            "import os\nimport re\n\nimport anthropic\n\n"
            'client = anthropic.Anthropic(api_key=os.environ["ANTHROPIC_API_KEY"])\n'
            f"MODEL = {model!r}\n{schema_line}\n\n"
            "def complete(prompt):\n"
            '    """One call with a filled prompt; returns the reply text."""\n'
            "    # No temperature, top_p or top_k: anthropic 2.x's messages.create does not take them.\n"
            "    response = client.messages.create(\n"
            f'        model=MODEL, max_tokens=1024, system=prompt["system"], messages=prompt["messages"]{extra}\n'
            "    )\n"
            '    return "".join(block.text for block in response.content if block.type == "text")\n'
        )
    if shape == "google":
        extra = ', response_mime_type="application/json"' if json_output else ""
        return (
            "import os\nimport re\n\nfrom google import genai\nfrom google.genai import types\n\n"
            'client = genai.Client(api_key=os.environ["GEMINI_API_KEY"])\n'
            f"MODEL = {model!r}\n\n\n"
            "def complete(prompt):\n"
            '    """One call with a filled prompt; returns the reply text."""\n'
            '    system = prompt["systemInstruction"]["parts"][0]["text"]\n'
            "    response = client.models.generate_content(\n"
            '        model=MODEL, contents=prompt["contents"],\n'
            f"        config=types.GenerateContentConfig(system_instruction=system, temperature=0{extra}),\n"
            "    )\n"
            '    return response.text or ""\n'
        )
    if open_weights:
        # vLLM, TGI and Ollama serve the OpenAI chat API; point the SDK at that server.
        client = (
            'client = OpenAI(\n    base_url=os.environ.get("OPENAI_BASE_URL", "http://localhost:8000/v1"),\n'
            '    api_key=os.environ.get("OPENAI_API_KEY", "not-needed"),\n)'
        )
    else:
        client = 'client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])'
    extra = ', response_format={"type": "json_object"}' if json_output else ""
    return (
        "import os\nimport re\n\nfrom openai import OpenAI\n\n"
        f"{client}\nMODEL = {model!r}\n\n\n"
        "def complete(prompt):\n"
        '    """One call with a filled prompt; returns the reply text."""\n'
        f'    response = client.chat.completions.create(model=MODEL, messages=prompt["messages"], temperature=0{extra})\n'
        '    return response.choices[0].message.content or ""\n'
    )


_STATE = '''

STATE_DIR = Path("user_state")


def _state_file(user_id):
    # Hash the id: user ids must not choose file names.
    return STATE_DIR / (hashlib.sha256(user_id.encode()).hexdigest() + ".json")


def load_state(user_id):
    """This user's state from the last call; empty fields for a new user."""
    path = _state_file(user_id)
    saved = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {name: str(saved.get(name, "")) for name in STATE_FIELDS}


def save_state(user_id, state):
    """Write the state for the next call (write, then rename: a crash never leaves half a file)."""
    STATE_DIR.mkdir(exist_ok=True)
    path = _state_file(user_id)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)


def update_state(state, user_input, reply):
    """Your app decides what to remember (from its own data, the input or the reply); the prompt only shows it."""
    return state


def answer(user_id, user_input):
    """Load the user's state, fill the prompt, call the model, save the state for the next call."""
    state = load_state(user_id)
    reply = complete(fill(PROMPT, {**state, "input": user_input}))
    save_state(user_id, update_state(state, user_input, reply))
    return reply


if __name__ == "__main__":
    print(answer("user-123", "Your input here"))
'''


def run_snippet(
    shape: Shape, model: str, request: dict[str, Any], state_fields: list[str], schema: dict[str, Any] | None, open_weights: bool
) -> str:
    """The prompt as a runnable script; with state fields, per-user state is loaded and saved around each call."""
    header = _client(shape, model, schema, open_weights)
    if state_fields:
        header = header.replace("import os\n", "import hashlib\nimport json\nimport os\n", 1)
        header = header.replace("import re\n", "import re\nfrom pathlib import Path\n", 1)
    body = f"\n\nPROMPT = {_literal(request)}\n"
    if state_fields:
        body += f"STATE_FIELDS = {_literal(state_fields)}\n"
        return header + body + _FILL + _STATE
    usage = f'\n\nif __name__ == "__main__":\n    print(complete(fill(PROMPT, {{"{INPUT}": "Your input here"}})))\n'
    return header + body + _FILL + usage


_EVALUATE = '''

def score(expected, reply):
    """(exact, similarity): JSON compares as data, text with whitespace normalized."""
    a, b = expected.strip(), reply.strip()
    try:
        exact = json.loads(a) == json.loads(b)
    except ValueError:
        exact = " ".join(a.split()) == " ".join(b.split())
    return exact, difflib.SequenceMatcher(None, a, b).ratio()


def main():
    parser = argparse.ArgumentParser(description="Zero-shot vs few-shot on held-out examples the prompt never saw.")
    parser.add_argument("held_out", nargs="?", default="held_out.jsonl", help="JSONL of {id, input, output}")
    parser.add_argument("--limit", type=int, default=50, help="Examples to run (each costs two calls)")
    args = parser.parse_args()
    with open(args.held_out, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()][: args.limit]
    if not rows:
        raise SystemExit("No held-out examples: every example went into the prompt. Collect more before deciding to tune.")
    empty_state = {name: "" for name in STATE_FIELDS}
    for name, prompt in (("zero-shot", ZERO_SHOT), ("few-shot", FEW_SHOT)):
        exact = similarity = 0.0
        for row in rows:
            hit, ratio = score(row["output"], complete(fill(prompt, {**empty_state, "input": row["input"]})))
            exact += hit
            similarity += ratio
        print(f"{name:>9}: exact {exact / len(rows):.0%}, similarity {similarity / len(rows):.2f} on {len(rows)} examples")
    print("Tune only if the few-shot prompt still misses your bar here: this is unseen data.")


if __name__ == "__main__":
    main()
'''


def evaluate_script(
    shape: Shape,
    model: str,
    few_shot: dict[str, Any],
    zero_shot: dict[str, Any],
    state_fields: list[str],
    schema: dict[str, Any] | None,
    open_weights: bool,
) -> str:
    """A script that runs both prompts on held_out.jsonl with the user's key and prints exact-match and similarity."""
    header = _client(shape, model, schema, open_weights)
    header = header.replace("import os\n", "import argparse\nimport difflib\nimport json\nimport os\n", 1)
    body = f"\n\nFEW_SHOT = {_literal(few_shot)}\nZERO_SHOT = {_literal(zero_shot)}\nSTATE_FIELDS = {_literal(state_fields)}\n"
    return header + body + _FILL + _EVALUATE
