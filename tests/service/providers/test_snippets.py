"""Every script and config the service hands out, checked against the installed SDKs and the catalog.

Rendered through the public builders (few-shot prompts, grounded prompts, tuning specs) for every provider,
each script must compile, call only SDK functions that exist with arguments they take, import only what its
``# pip install`` line installs, and name only models that answer on the day (and that the SDK lists).
"""

from __future__ import annotations

import datetime as dt
from importlib import metadata
from typing import Any

import pytest
import yaml

from knowledge.checks import sdk_model_ids
from knowledge.loader import default_catalog
from service.artifacts.prompting import lexical_embed
from service.artifacts.tuning_spec import build_tuning_spec
from service.knowledge_bases.grounding import grounded_prompt
from service.knowledge_bases.index import Hit
from service.prompts.schemas import FewShotRequest
from service.prompts.service import build_few_shot
from service.providers.base import pip_line, requirement
from service.providers.registry import names
from tests.service.providers.sdk_check import AXOLOTL_DATASET_KEYS, AXOLOTL_KEYS, check_script, pip_requirements

TODAY = dt.date(2026, 11, 24)
AFTER_OPENAI_TUNING = dt.date(2027, 2, 1)
PROVIDERS = [*names(), "undecided"]  # every registered provider, so a new one is checked without a change here
EXAMPLES = [
    {"input": f"Ticket {i}: my invoice is wrong", "output": '{"team": "billing"}' if i % 2 else "billing"} for i in range(8)
]
HITS = [Hit("faq.md", "faq.md", 0, 0.9, "Refunds take 5 days.", "Refunds", 0, 20)]


def few_shot_scripts() -> list[tuple[str, str]]:
    scripts = []
    for provider in PROVIDERS:
        for state in (None, ["plan"]):
            for examples in (EXAMPLES, [{**e, "output": '{"team": "ops"}'} for e in EXAMPLES]):
                body = {
                    "task": "Route tickets",
                    "provider": provider,
                    "examples": examples,
                    "state_fields": state,
                    "k": 3,
                    "token_budget": 2000,
                }
                prompt = build_few_shot(FewShotRequest.model_validate(body), lexical_embed, today=TODAY)
                label = f"few-shot {provider} state={bool(state)} json={prompt.output_schema is not None}"
                scripts += [(f"{label} run", prompt.snippet), (f"{label} evaluate.py", prompt.files["evaluate.py"])]
    return scripts


def grounded_scripts() -> list[tuple[str, str]]:
    return [(f"grounded {p}", grounded_prompt("How long do refunds take?", HITS, p, today=TODAY).snippet) for p in PROVIDERS]


def spec_scripts() -> list[tuple[str, str]]:
    scripts = []
    for day in (TODAY, AFTER_OPENAI_TUNING):
        for provider in PROVIDERS:
            spec = build_tuning_spec(provider, today=day, examples_hint=500)
            if spec.snippet:
                scripts.append((f"spec {provider} {day} snippet", spec.snippet))
            scripts += [(f"spec {provider} {day} {name}", text) for name, text in spec.files.items() if name.endswith(".py")]
    return scripts


SCRIPTS = few_shot_scripts() + grounded_scripts() + spec_scripts()
IDS = [label for label, _ in SCRIPTS]


@pytest.mark.parametrize(("label", "source"), SCRIPTS, ids=IDS)
def test_every_script_compiles_and_its_sdk_calls_match_the_installed_sdks(label: str, source: str) -> None:
    compile(source, label, "exec")
    report = check_script(source)
    assert report.problems == [], (label, report.problems)
    assert report.checked, f"{label}: no SDK call was found to check"
    required = pip_requirements(source)
    assert required, f"{label}: the first line must be the pip install line"
    assert report.imports <= required, (label, report.imports - required)


@pytest.mark.parametrize(("label", "source"), SCRIPTS, ids=IDS)
def test_every_model_a_script_names_answers_on_the_day_and_the_sdk_lists_it(label: str, source: str) -> None:
    catalog = default_catalog()
    day = AFTER_OPENAI_TUNING if str(AFTER_OPENAI_TUNING) in label else TODAY
    for model in check_script(source).models:
        entry = next((m for p in catalog.providers.values() if (m := p.model(model)) is not None), None)
        assert entry is not None, f"{label}: {model} is not in the catalog"
        assert entry.available_on(day), f"{label}: {model} does not answer on {day}"
        for provider in catalog.providers.values():
            if provider.sdk_models and provider.model(model) is not None:
                listed = sdk_model_ids(provider.sdk_models)
                assert listed is not None and model in listed, f"{label}: the installed SDK does not list {model}"


def test_the_checker_catches_a_wrong_argument_a_missing_function_and_an_undeclared_import() -> None:
    bad = (
        '# pip install "openai>=3,<4"\n'
        "import anthropic\nfrom openai import OpenAI\n\n"
        "client = OpenAI()\n"
        'client.fine_tuning.jobs.create(model="m", training_file="f", n_epochs=3)\n'
        "client.fine_tuning.jobs.launch()\n"
    )
    report = check_script(bad)
    assert any("does not take n_epochs" in p for p in report.problems)
    assert any("has no launch" in p for p in report.problems)
    assert "anthropic" in report.imports - pip_requirements(bad)
    vertex = build_tuning_spec("google", today=TODAY, examples_hint=500).snippet
    assert any(
        "has no ADAPTER_SIZE_FIVE" in p for p in check_script(vertex.replace("ADAPTER_SIZE_FOUR", "ADAPTER_SIZE_FIVE")).problems
    )


def test_the_vertex_job_uses_google_genai_alone_and_the_enterprise_flag() -> None:
    spec = build_tuning_spec("google", today=TODAY, examples_hint=500)
    report = check_script(spec.snippet)
    assert report.imports == {"google-genai"}
    assert "google.cloud" not in spec.snippet and "vertexai=True" not in spec.snippet
    assert "enterprise=True" in spec.snippet and '"gcloud", "storage", "cp"' in spec.snippet
    assert {"Client", "Tunings.tune", "Tunings.get", "TuningDataset", "CreateTuningJobConfig", "TuningValidationDataset"} <= set(
        report.checked
    )


def test_the_openai_job_calls_are_the_ones_the_sdk_takes() -> None:
    report = check_script(build_tuning_spec("openai", today=TODAY, examples_hint=500).snippet)
    assert {"Files.create", "Jobs.create", "Jobs.retrieve"} <= set(report.checked)


def test_the_trl_script_uses_recorded_or_installed_fields() -> None:
    spec = build_tuning_spec("open_weights", today=TODAY, examples_hint=500)
    report = check_script(spec.files["train.py"])
    assert report.problems == []
    # The recorded lists when TRL and PEFT are not installed, the real classes when they are (extra "tuning").
    assert {"SFTConfig", "SFTTrainer", "LoraConfig"} <= {name.split(".")[-1] for name in report.checked}
    assert pip_requirements(spec.files["train.py"]) == {"trl", "peft", "datasets"}
    spoiled = spec.files["train.py"].replace("max_length=", "max_seq_length=")
    assert any("max_seq_length" in p for p in check_script(spoiled).problems)


def test_the_axolotl_config_uses_only_keys_of_its_schema() -> None:
    text = build_tuning_spec("open_weights", today=TODAY, examples_hint=500).files["axolotl.yaml"]
    assert pip_requirements(text) == {"axolotl"}
    config: dict[str, Any] = yaml.safe_load(text)
    assert set(config) <= AXOLOTL_KEYS, set(config) - AXOLOTL_KEYS
    for dataset in [*config["datasets"], *config["test_datasets"]]:
        assert set(dataset) <= AXOLOTL_DATASET_KEYS
    assert config["base_model"] == "Qwen/Qwen2.5-7B-Instruct"


def test_the_anthropic_spec_is_a_prompt_on_a_model_the_sdk_lists() -> None:
    spec = build_tuning_spec("anthropic", today=TODAY, examples_hint=500)
    assert spec.supported is False
    report = check_script(spec.snippet)
    assert report.models == ["claude-sonnet-5-5"] and "claude-sonnet-4-5" not in spec.snippet
    assert "Messages.create" in report.checked


def test_the_pip_line_reads_installed_versions_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every grounded prompt and tuning spec starts with a pip line; reading an installed version walks sys.path's
    metadata (~1 ms), so it is read once per distribution and process, and still names the installed major."""
    calls: list[str] = []
    real = metadata.version

    def counted(name: str) -> str:
        calls.append(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", counted)
    requirement.cache_clear()
    try:
        lines = [pip_line("openai", "anthropic") for _ in range(3)]
    finally:
        requirement.cache_clear()
    major = int(real("openai").split(".")[0])
    assert lines[0] == lines[2] and f'"openai>={major},<{major + 1}"' in lines[0]
    assert sorted(calls) == ["anthropic", "openai"]
