"""A provider as one object: its catalog profile, its request shape, its snippet templates and its SDK clients.

In the way pydantic-ai separates a provider from its model profile, the catalog (``knowledge/catalog/<name>.yaml``)
is the profile, read here on a given day, and ``service/providers/<name>.py`` is the provider. Nothing in this
module imports an SDK: a provider module imports its SDK inside the function that builds a client, so reading a
profile or rendering a snippet never pays an SDK's import (seconds for anthropic).
"""

from __future__ import annotations

import datetime as dt
import pprint
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from knowledge.loader import Catalog, ModelEntry, ProviderEntry, Purpose, default_catalog

if TYPE_CHECKING:
    import jinja2

    from service.config import Settings
    from service.providers.lifecycle import ModelChoice

Shape = Literal["openai", "anthropic", "google"]
TEMPLATES = Path(__file__).resolve().parent / "templates"
# Packages the service does not install (the open-weights training script's): the major versions the
# snippets were written against, read on PyPI on 2026-12-05 (trl 1.16, peft 0.21, datasets 5.2, axolotl 0.21).
RECORDED_PINS = {"trl": "trl>=1,<2", "peft": "peft>=0.17,<1", "datasets": "datasets>=4,<6", "axolotl": "axolotl>=0.21,<1"}


@dataclass(frozen=True)
class ProviderJob:
    id: str
    status: str
    fine_tuned_model: str | None = None
    error: str | None = None


class TuningClient(Protocol):
    def upload(self, path: Path, *, idempotency_key: str) -> str:
        """Upload a training file; returns the provider's file id."""
        ...

    def create_job(
        self,
        *,
        model: str,
        training_file: str,
        validation_file: str | None,
        hyperparameters: dict[str, Any],
        suffix: str | None,
        idempotency_key: str,
    ) -> ProviderJob:
        """Create a supervised tuning job."""
        ...

    def retrieve(self, job_id: str) -> ProviderJob:
        """The job's current state."""
        ...


class ExtractionClient(Protocol):
    name: str

    def extract(self, *, system: str, text: str, schema: dict[str, Any]) -> dict[str, Any]:
        """A JSON object shaped by ``schema`` from ``text``."""
        ...


TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True)
class TuningPlan:
    """What a provider adds to a tuning spec: hyperparameters, steps and the files to run."""

    hyperparameters: dict[str, Any]
    steps: list[str]
    snippet: str
    files: dict[str, str] = field(default_factory=dict)


@cache
def requirement(distribution: str) -> str:
    """``name>=M,<M+1`` for the installed major version of ``distribution``, or its recorded pin. Kept per process:
    reading the installed version walks sys.path's metadata (~1 ms a distribution, on every rendered snippet and grounded prompt
    before), and what is installed does not change under a running process."""
    if distribution in RECORDED_PINS:
        return RECORDED_PINS[distribution]
    try:
        major = int(metadata.version(distribution).split(".")[0])
    except (metadata.PackageNotFoundError, ValueError):
        return distribution
    return f"{distribution}>={major},<{major + 1}"


def pip_line(*distributions: str) -> str:
    """The comment every snippet starts with: what to install to run it."""
    return "# pip install " + " ".join(f'"{requirement(d)}"' for d in distributions)


def _python(value: Any) -> str:
    # pprint writes valid Python literals (long strings split into adjacent pieces, Hebrew stays readable).
    return pprint.pformat(value, width=110, sort_dicts=False)


@cache
def environment() -> jinja2.Environment:
    """The templates of every provider; undefined names fail loudly instead of rendering empty."""
    import jinja2  # loaded with the first snippet rendered, not with the API

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["py"] = _python
    env.globals["pip"] = pip_line
    return env


class Provider:
    """One provider: subclasses set the class attributes and override the hooks they support."""

    name: ClassVar[str]
    shape: ClassVar[Shape]
    prompt_sdk: ClassVar[tuple[str, ...]]  # distributions a prompt snippet imports
    key_env: ClassVar[str | None] = None
    submits_jobs: ClassVar[bool] = False  # the advisor can create this provider's jobs itself

    def __repr__(self) -> str:
        return f"<Provider {self.name}>"

    # --- the profile, from the catalog -------------------------------------------------

    def entry(self, catalog: Catalog | None = None) -> ProviderEntry:
        return (catalog or default_catalog()).provider(self.name)

    def display_name(self, catalog: Catalog | None = None) -> str:
        return self.entry(catalog).display_name

    def training_format(self, catalog: Catalog | None = None) -> str | None:
        """The JSONL format a tuning job takes (the first the catalog lists)."""
        formats = self.entry(catalog).fine_tuning.formats
        return formats[0] if formats else None

    def default_model(self, purpose: Purpose, today: dt.date, catalog: Catalog | None = None) -> ModelEntry | None:
        """The newest model fit for ``purpose`` on ``today``; None when there is none (e.g. tuning has ended)."""
        return self.entry(catalog).default_for(purpose, today)

    def model_for(self, requested: str | None, purpose: Purpose, today: dt.date, catalog: Catalog | None = None) -> ModelChoice:
        """The model to use for ``purpose``: the requested one when it works on ``today``, else a replacement and why."""
        from service.providers.lifecycle import choose_model

        return choose_model(self, requested, purpose, today, catalog)

    def tunable_model(self, requested: str | None, today: dt.date, catalog: Catalog | None = None) -> ModelChoice:
        """The model a tuning job can start on today, or the reason the requested one cannot and its replacement."""
        return self.model_for(requested, "tuning", today, catalog)

    def tuning_id(self, model: str, catalog: Catalog | None = None) -> str:
        """The snapshot name a tuning job takes for ``model`` (OpenAI's dated ids)."""
        found = self.entry(catalog).model(model) if model else None
        return (found.tuning_id or found.id) if found else model

    # --- snippets ------------------------------------------------------------------------

    def render(self, template: str, **context: Any) -> str:
        """Render ``templates/<name>/<template>`` with ``provider`` and ``context``."""
        return environment().get_template(f"{self.name}/{template}").render(provider=self, **context)

    def template_names(self) -> list[str]:
        """This provider's own templates (for the knowledge check and the snippet tests)."""
        return sorted(path.name for path in (TEMPLATES / self.name).glob("*.j2"))

    def prompt_script(self, kind: Literal["run", "evaluate"], **context: Any) -> str:
        """The few-shot prompt as a runnable script (``run``) or its zero- vs few-shot comparison (``evaluate``)."""
        return environment().get_template(f"_common/{kind}.py.j2").render(provider=self, **context)

    def grounded_snippet(self, model: str, **request: Any) -> str:
        """A script that sends a grounded request (``request`` in this provider's shape)."""
        return self.render("grounded.py.j2", model=model, **request)

    def tuning_plan(self, model: str, examples: int, epochs: int, catalog: Catalog | None = None) -> TuningPlan | None:
        """Hyperparameters, steps and files of a supervised job on ``model``; None when this provider cannot tune."""
        return None

    def no_tuning_snippet(self, today: dt.date, catalog: Catalog | None = None) -> str:
        """What to run instead when no tuning job can start (a prompt that carries the behaviour)."""
        return ""

    # --- SDK clients ---------------------------------------------------------------------

    def tuning_client(self, settings: Settings) -> TuningClient | None:
        """A client that uploads and creates jobs, or None (no key, or the advisor does not submit for it)."""
        return None

    def extraction_client(self, settings: Settings, model: str) -> ExtractionClient | None:
        """A structured-extraction client on ``model``, or None (no key, or no extraction support)."""
        return None
