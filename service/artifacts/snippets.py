"""Runnable Python snippets and config files handed to users; keys always come from the environment."""

from __future__ import annotations

import json
from typing import Any


def openai_job(model: str | None, hyper: dict[str, Any]) -> str:
    """Upload both files and create a supervised OpenAI job, then poll it."""
    return f"""import time

from openai import OpenAI

client = OpenAI()  # reads OPENAI_API_KEY from the environment

train = client.files.create(file=open("train.jsonl", "rb"), purpose="fine-tune")
validation = client.files.create(file=open("validation.jsonl", "rb"), purpose="fine-tune")
job = client.fine_tuning.jobs.create(
    model={model!r},
    training_file=train.id,
    validation_file=validation.id,
    suffix="advisor",
    method={{"type": "supervised", "supervised": {{"hyperparameters": {json.dumps(hyper)}}}}},
)
while job.status not in ("succeeded", "failed", "cancelled"):
    time.sleep(60)
    job = client.fine_tuning.jobs.retrieve(job.id)
print(job.status, job.fine_tuned_model)
"""


def vertex_job(model: str | None, hyper: dict[str, Any]) -> str:
    """Upload to Cloud Storage and start a Vertex AI tuning job with google-genai."""
    return f"""import os
import time

from google import genai
from google.cloud import storage
from google.genai import types

PROJECT = os.environ["GOOGLE_CLOUD_PROJECT"]
LOCATION = os.environ.get("GOOGLE_CLOUD_LOCATION", "us-central1")
BUCKET = os.environ["TUNING_BUCKET"]  # a bucket in LOCATION

bucket = storage.Client(project=PROJECT).bucket(BUCKET)
for name in ("train.jsonl", "validation.jsonl"):
    bucket.blob(f"tuning/{{name}}").upload_from_filename(name)

client = genai.Client(vertexai=True, project=PROJECT, location=LOCATION)
job = client.tunings.tune(
    base_model={model!r},
    training_dataset=types.TuningDataset(gcs_uri=f"gs://{{BUCKET}}/tuning/train.jsonl"),
    config=types.CreateTuningJobConfig(
        epoch_count={hyper["epoch_count"]},
        learning_rate_multiplier={hyper["learning_rate_multiplier"]},
        adapter_size=types.AdapterSize.{hyper["adapter_size"]},
        tuned_model_display_name="advisor-tuned",
        validation_dataset=types.TuningValidationDataset(gcs_uri=f"gs://{{BUCKET}}/tuning/validation.jsonl"),
    ),
)
while not job.has_ended:
    time.sleep(60)
    job = client.tunings.get(name=job.name)
print(job.state, job.tuned_model.endpoint if job.tuned_model else None)
"""


def trl_script(model: str | None, hyper: dict[str, Any]) -> str:
    """A TRL SFT + LoRA training script for an open-weights model."""
    return f"""from datasets import load_dataset
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

data = load_dataset("json", data_files={{"train": "train.jsonl", "validation": "validation.jsonl"}})
trainer = SFTTrainer(
    model={model!r},
    train_dataset=data["train"],
    eval_dataset=data["validation"],
    args=SFTConfig(
        output_dir="advisor-lora",
        num_train_epochs={hyper["num_train_epochs"]},
        learning_rate={hyper["learning_rate"]},
        max_length={hyper["max_length"]},
        eval_strategy="epoch",
        logging_steps=10,
    ),
    peft_config=LoraConfig(
        r={hyper["lora_r"]}, lora_alpha={hyper["lora_alpha"]}, target_modules="all-linear", task_type="CAUSAL_LM"
    ),
)
trainer.train()
trainer.save_model("advisor-lora")
"""


def axolotl_config(model: str | None, hyper: dict[str, Any]) -> str:
    """The same run as an axolotl YAML config."""
    return f"""base_model: {model}
adapter: lora
lora_r: {hyper["lora_r"]}
lora_alpha: {hyper["lora_alpha"]}
lora_target_linear: true
sequence_len: {hyper["max_length"]}
datasets:
  - path: train.jsonl
    type: chat_template
    field_messages: messages
test_datasets:
  - path: validation.jsonl
    type: chat_template
    field_messages: messages
    split: train
num_epochs: {hyper["num_train_epochs"]}
learning_rate: {hyper["learning_rate"]}
micro_batch_size: 2
gradient_accumulation_steps: 4
output_dir: ./advisor-lora
"""


def anthropic_prompting() -> str:
    """Claude cannot be tuned: the behaviour goes into an XML-tagged prompt with examples."""
    return '''import anthropic

client = anthropic.Anthropic()  # reads ANTHROPIC_API_KEY from the environment

SYSTEM = """<instructions>
Answer in our house style. Follow the examples exactly.
</instructions>
<examples>
<example><input>...</input><output>...</output></example>
</examples>"""

message = client.messages.create(
    model="claude-sonnet-4-5",
    max_tokens=1024,
    system=SYSTEM,
    messages=[{"role": "user", "content": "<input>The user's request</input>"}],
)
print(message.content[0].text)
'''
