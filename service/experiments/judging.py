"""The rubric grader's judge: one client per judge model, its calls retried like the candidates', its cost counted.

The judge is the experiment's target unless the grader names another (``judge``); its key comes from the
server's environment like the target's, checked when the experiment is accepted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from service.experiments import plan
from service.experiments.costs import Rates
from service.experiments.graders import Judge, judge_messages
from service.experiments.schemas import RubricGrader
from service.providers.chat import ChatClient, Reply

ClientFor = Callable[[dict[str, Any]], ChatClient]
# (client, provider, model, system, turns, max_tokens) -> the reply, retried on 429/5xx like every call of the run
Complete = Callable[[ChatClient, str, str, str | None, list[dict[str, str]], int], tuple[Reply, float]]
JUDGE_MAX_TOKENS = 16  # "PASS", "FAIL" or a number; a little room for a model that adds a newline


class Judges:
    def __init__(self, target: dict[str, Any], rates: dict[str, Any], client_for: ClientFor, complete: Complete) -> None:
        self.target, self.rates, self.client_for, self.complete = target, rates, client_for, complete
        self._clients: dict[str, ChatClient] = {}
        self._lock = threading.Lock()

    def _client(self, judge: dict[str, Any]) -> ChatClient:
        key = plan.judge_key(judge)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self.client_for(judge)
            return self._clients[key]

    def for_item(self, item_input: str) -> tuple[Judge, list[float | None]]:
        """A judge for one item's answer, and the list its calls' costs go into (None: the judge has no price)."""
        spent: list[float | None] = []

        def judge(spec: RubricGrader, output: str, expected: str) -> str:
            target = plan.judge_of(spec.model_dump(mode="json"), self.target)
            system, turns = judge_messages(spec, item_input, output, expected)
            client = self._client(target)
            reply, _latency = self.complete(client, target["provider"], target["model"], system, turns, JUDGE_MAX_TOKENS)
            rates = self.rates.get(plan.judge_key(target))
            spent.append(Rates(**rates).usd(reply.input_tokens, reply.output_tokens) if rates else None)
            return reply.text

        return judge, spent

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
