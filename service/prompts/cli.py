"""``advisor prompt few-shot``: a few-shot prompt from a file of examples, embedded in this process.

A CLI run is one short process, so it loads the bundled model itself instead of asking a worker.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from service.console import plural
from service.errors import AdvisorError
from service.prompts.candidates import candidates_from_file
from service.prompts.schemas import DEFAULT_K, FewShotPrompt, FewShotRequest
from service.prompts.service import build_few_shot

prompt_app = typer.Typer(
    help="Few-shot prompts chosen within a token budget.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
DEFAULT_TASK = "Answer each input the way the examples do."


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _text(parts: list[dict[str, Any]]) -> str:
    return "".join(str(part.get("text", "")) for part in parts)


def render_text(prompt: FewShotPrompt) -> str:
    """The rendered prompt for reading: one section per system text and turn."""
    sections: list[tuple[str, str]] = []
    if prompt.system is not None:
        sections.append(("system", prompt.system))
    if prompt.system_instruction is not None:
        sections.append(("systemInstruction", _text(prompt.system_instruction.get("parts", []))))
    for message in prompt.messages or []:
        sections.append((str(message["role"]), str(message["content"])))
    for content in prompt.contents or []:
        sections.append((str(content["role"]), _text(content.get("parts", []))))
    return "\n\n".join(f"### {role}\n{text}" for role, text in sections)


@prompt_app.command("few-shot")
def few_shot(
    examples: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, metavar="FILE", help="JSONL of {input, output}, or a training file."
        ),
    ],
    provider: Annotated[str, typer.Option(metavar="PROVIDER", help="openai, anthropic, google, open_weights or undecided.")],
    budget: Annotated[int, typer.Option(metavar="TOKENS", help="Most tokens the rendered prompt may take.")],
    task: Annotated[
        str, typer.Option(metavar="TEXT", help="What the model should do; examples are chosen for it.", show_default=False)
    ] = DEFAULT_TASK,
    instructions: Annotated[str | None, typer.Option(metavar="TEXT", help="System text (the task when unset).")] = None,
    k: Annotated[int, typer.Option(metavar="N", help="At most this many examples.")] = DEFAULT_K,
    model: Annotated[
        str | None, typer.Option(metavar="MODEL", help="Target model (the provider's catalog model when unset).")
    ] = None,
    state: Annotated[
        list[str] | None, typer.Option("--state", metavar="FIELD", help="A per-user state field; repeat for more.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole artifact as JSON.")] = False,
    today: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], metavar="DATE", help="Choose models as of this day (default: today)."),
    ] = None,
) -> None:
    """Print a few-shot prompt built from a file of examples.

    Examples are chosen by relevance and diversity within --budget tokens.
    """
    candidates, notes = candidates_from_file(examples)
    if not candidates:
        raise _fail(f"{examples}: no usable examples; write one JSON object per line with input and output.")
    try:
        request = FewShotRequest.model_validate(
            {
                "task": task,
                "provider": provider,
                "model": model,
                "instructions": instructions,
                "k": k,
                "token_budget": budget,
                "state_fields": state or None,
            }
        )
    except ValidationError as exc:
        raise _fail("; ".join(f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in exc.errors())) from exc
    from service.embeddings.model import Embedder

    try:
        day = today.date() if today else dt.date.today()
        prompt = build_few_shot(request, Embedder().encode, candidates=candidates, notes=notes, today=day)
    except AdvisorError as exc:
        raise _fail(exc.message) from exc
    if as_json:
        typer.echo(prompt.model_dump_json(indent=2))
        return
    typer.echo(render_text(prompt))
    typer.echo(
        f"\n# {prompt.token_count:,} of {plural(prompt.token_budget, 'token')} ({prompt.tokenizer}); "
        f"{plural(len(prompt.example_ids), 'example')} {prompt.example_ids}; "
        f"{len(prompt.held_out_ids):,} held out for evaluation (--json has them and evaluate.py)",
        err=True,
    )
    for note in prompt.notes:
        typer.echo(f"# {note}", err=True)
