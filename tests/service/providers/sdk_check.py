"""Check a generated script against the installed SDKs without running it.

The script is parsed; its imports are bound to the real modules (openai, anthropic, google-genai), each client
it builds to a real client object built with a test key, and every call on those objects is checked with
``inspect.signature`` (or a pydantic model's fields): the callable must exist and take the arguments given.
Packages the service does not install (TRL, PEFT) are checked against field lists recorded from their sources.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from typing import Any

import pydantic

# Field and parameter names read from the sources on 2026-12-05 (Apache-2.0; names only, no code taken):
# - TRL 1.x (VERSION 1.1.0.dev0 in that tree), https://github.com/huggingface/trl
#   trl/trainer/sft_config.py @016013e88acec9257c7476fdcdb12e5479938a5f (SFTConfig's own fields)
#   trl/trainer/base_config.py @13e421be78042441c1c988385403859ae1bb3e78 (_BaseConfig, a transformers.TrainingArguments)
#   trl/trainer/sft_trainer.py @00313f21920d37c3876c4021b51430224c06c936 (SFTTrainer.__init__)
# - PEFT 0.17 (src/peft/__init__.py says 0.17.2.dev0), https://github.com/huggingface/peft
#   src/peft/tuners/lora/config.py @00a4d0808579f9bcac82c6b329cb8894bcfbd7fd (LoraConfig)
#   src/peft/config.py @0397041dcf4eb15839a2fb9e894271ee0d8fe60f (PeftConfig, its base)
# TrainingArguments' own fields come from the installed transformers.
SFT_CONFIG = {
    "learning_rate", "model_init_kwargs", "chat_template_path", "dataset_text_field", "dataset_kwargs", "dataset_num_proc",
    "eos_token", "max_length", "truncation_mode", "shuffle_dataset", "packing", "packing_strategy", "padding_free",
    "pad_to_multiple_of", "eval_packing", "completion_only_loss", "assistant_only_loss", "loss_type", "activation_offloading",
    "pad_token",
    # _BaseConfig overrides
    "logging_steps", "gradient_checkpointing", "bf16", "lr_scheduler_kwargs", "use_liger_kernel", "torch_empty_cache_steps",
}  # fmt: skip
SFT_TRAINER = {
    "model", "args", "data_collator", "train_dataset", "eval_dataset", "processing_class", "compute_loss_func",
    "compute_metrics", "callbacks", "optimizers", "optimizer_cls_and_kwargs", "preprocess_logits_for_metrics",
    "peft_config", "formatting_func",
}  # fmt: skip
LORA_CONFIG = {
    "r", "target_modules", "exclude_modules", "lora_alpha", "lora_dropout", "fan_in_fan_out", "bias", "use_rslora",
    "modules_to_save", "init_lora_weights", "layers_to_transform", "layers_pattern", "rank_pattern", "alpha_pattern",
    "megatron_config", "megatron_core", "loftq_config", "use_dora", "layer_replication", "runtime_config",
    # PeftConfig
    "base_model_name_or_path", "revision", "peft_type", "task_type", "inference_mode",
}  # fmt: skip
# axolotl's config schema, https://github.com/axolotl-ai-cloud/axolotl (Apache-2.0), src/axolotl/utils/schemas/:
# config.py and datasets.py @70be5461ba09e986aecb2eff3eef1246ce4285c4, model.py @113e9cd19323d66f38013616be54cdb4b3a22393,
# peft.py @f5ff7a9cf14e1f98eadd6d8c177fe9cb28fc432f, training.py @94c00c1d041b0e21b694abc6ba5923a19e013d9c.
# Only the keys our config may use are listed: a key outside this set fails the test until it is read there.
AXOLOTL_KEYS = {
    "base_model", "output_dir", "adapter", "lora_r", "lora_alpha", "lora_dropout", "lora_target_linear",
    "lora_target_modules", "sequence_len", "datasets", "test_datasets", "val_set_size", "num_epochs", "learning_rate",
    "micro_batch_size", "gradient_accumulation_steps", "eval_strategy", "logging_steps", "load_in_4bit", "load_in_8bit",
}  # fmt: skip
AXOLOTL_DATASET_KEYS = {"path", "split", "type", "field_messages", "data_files", "chat_template", "roles_to_train"}
RECORDED: dict[str, set[str]] = {"trl.SFTConfig": SFT_CONFIG, "trl.SFTTrainer": SFT_TRAINER, "peft.LoraConfig": LORA_CONFIG}
# Namespace packages whose top-level name says nothing about the distribution.
MODULE_DISTRIBUTION = {"google.genai": "google-genai"}


@dataclass(frozen=True)
class Recorded:
    """A callable of a package that is not installed, known by its recorded parameter names."""

    name: str


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)  # qualified names of the SDK callables verified
    problems: list[str] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)  # distributions the script imports
    models: list[str] = field(default_factory=list)  # model ids the script names


@cache
def _training_arguments() -> set[str]:
    import dataclasses

    from transformers import TrainingArguments

    return {f.name for f in dataclasses.fields(TrainingArguments)}


def _accepted(target: Any) -> set[str] | None:
    """Keyword names ``target`` takes; None when it takes any (**kwargs)."""
    if isinstance(target, Recorded):
        names = RECORDED[target.name]
        return names | _training_arguments() if target.name == "trl.SFTConfig" else names
    if inspect.isclass(target) and issubclass(target, pydantic.BaseModel):
        return {n for name, f in target.model_fields.items() for n in (name, f.alias) if n}
    params = inspect.signature(target).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)}


@cache
def _test_client(cls: Any) -> Any:
    """A real client of ``cls`` that never needs credentials (the snippet's own arguments are checked separately)."""
    return cls(api_key="test-key")


def distribution_of(module: str) -> str | None:
    """The distribution that provides ``module``; None for the standard library."""
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return None
    for prefix, dist in MODULE_DISTRIBUTION.items():
        if module == prefix or module.startswith(prefix + "."):
            return dist
    found = _distributions().get(top)
    return found[0] if found and len(found) == 1 else top


@cache
def _distributions() -> dict[str, list[str]]:
    return dict(metadata.packages_distributions())


def pip_requirements(source: str) -> set[str]:
    """Distribution names on the snippet's first line, ``# pip install "name>=M,<N" ...``."""
    first = source.splitlines()[0]
    if not first.startswith("# pip install "):
        return set()
    return {re.split(r"[<>=!~\[ ]", item.strip('"'))[0] for item in first.removeprefix("# pip install ").split()}


class _Checker:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.names: dict[str, Any] = {}

    def bind_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.report.imports.add(distribution_of(alias.name) or "")
                self.names[alias.asname or alias.name.split(".")[0]] = self._module(alias.name.split(".")[0])
            return
        base = node.module or ""
        for alias in node.names:
            full = f"{base}.{alias.name}"
            self.report.imports.add(distribution_of(full if base == "google" else base) or "")
            module = self._module(base)
            value = getattr(module, alias.name, None) if module is not None else None
            if value is None:
                value = self._module(full) if module is not None else Recorded(full) if full in RECORDED else None
            if module is not None and value is None:
                self.report.problems.append(f"line {node.lineno}: {full} does not exist in the installed {base}")
            self.names[alias.asname or alias.name] = value

    @staticmethod
    def _module(name: str) -> Any:
        try:
            return importlib.import_module(name)
        except ImportError:
            return None

    def resolve(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, ast.Attribute):
            owner = self.resolve(node.value)
            if owner is None or isinstance(owner, Recorded):
                return None
            if not hasattr(owner, node.attr):
                self.report.problems.append(
                    f"line {node.lineno}: {getattr(owner, '__name__', type(owner).__name__)} has no {node.attr}"
                )
                return None
            return getattr(owner, node.attr)
        if isinstance(node, ast.Call):
            target = self.resolve(node.func)
            sdk = inspect.isclass(target) and target.__module__.split(".")[0] in ("openai", "anthropic", "google")
            if sdk and target.__name__ in ("OpenAI", "Anthropic", "Client"):
                return _test_client(target)
        return None

    def check_call(self, node: ast.Call) -> None:
        target = self.resolve(node.func)
        if target is None or not (isinstance(target, Recorded) or callable(target)):
            return
        name = target.name if isinstance(target, Recorded) else getattr(target, "__qualname__", repr(target))
        module = "" if isinstance(target, Recorded) else getattr(target, "__module__", "") or ""
        if not isinstance(target, Recorded) and module.split(".")[0] not in ("openai", "anthropic", "google", "trl", "peft"):
            return
        accepted = _accepted(target)
        keywords = [k.arg for k in node.keywords if k.arg is not None]
        unknown = [k for k in keywords if accepted is not None and k not in accepted]
        if unknown:
            self.report.problems.append(f"line {node.lineno}: {name} does not take {', '.join(unknown)}")
        if not isinstance(target, Recorded) and not (inspect.isclass(target) and issubclass(target, pydantic.BaseModel)):
            starred = any(isinstance(a, ast.Starred) for a in node.args) or len(keywords) < len(node.keywords)
            try:
                if not starred:
                    inspect.signature(target).bind(*node.args, **{k: None for k in keywords})
            except TypeError as exc:
                self.report.problems.append(f"line {node.lineno}: {name}: {exc}")
        self.report.checked.append(name)

    def note_models(self, node: ast.AST) -> None:
        named = isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "MODEL" for t in node.targets)
        passed = isinstance(node, ast.keyword) and node.arg in ("model", "base_model")
        value = getattr(node, "value", None)
        if (named or passed) and isinstance(value, ast.Constant) and isinstance(value.value, str):
            self.report.models.append(value.value)


@cache
def check_script(source: str) -> Report:
    """Every SDK call in ``source`` checked against the installed packages (or the recorded lists)."""
    report = Report()
    tree = ast.parse(source)
    checker = _Checker(report)
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            checker.bind_import(node)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = checker.resolve(node.value)
            if value is not None:
                checker.names[node.targets[0].id] = value
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and node not in tree.body:
            checker.bind_import(node)
        if isinstance(node, ast.Call):
            checker.check_call(node)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            checker.resolve(node)  # e.g. types.AdapterSize.ADAPTER_SIZE_FOUR must exist
        checker.note_models(node)
    report.imports.discard("")
    report.problems[:] = list(dict.fromkeys(report.problems))
    return report
