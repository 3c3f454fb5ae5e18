"""Slack's request signature, checked on the raw bytes before anything parses them; then a parse that cannot throw.

Slack signs ``v0:<timestamp>:<body>`` with the app's signing secret (HMAC-SHA256, hex, prefixed ``v0=``) and
sends it in ``X-Slack-Signature`` with the timestamp in ``X-Slack-Request-Timestamp``; a request older than
five minutes is refused (https://api.slack.com/authentication/verifying-requests-from-slack). Bolt checks the
same, but only after decoding and parsing the body, so an unsigned malformed body used to crash it (500).
Here the HMAC is computed on the bytes as received, the timestamp must be digits, and only a signed body is
decoded and parsed, the way Bolt will parse it, so what Bolt gets is known to parse.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt.request.internals import extract_content_type, parse_body

from service.errors import AdvisorError, Unauthorized
from service.inputs import find_nul

MAX_AGE_SECONDS = 5 * 60
_MAX_DEPTH = 32


def _invalid(reason: str) -> Unauthorized:
    return Unauthorized(
        f"The Slack request is not signed by this app ({reason}); check ADVISOR_SLACK_SIGNING_SECRET.",
        code="slack_signature_invalid",
    )


def verify_signature(secret: str, body: bytes, headers: Mapping[str, str], now: Callable[[], float] = time.time) -> None:
    """Raise 401 ``slack_signature_invalid`` unless the headers carry a fresh, valid signature of ``body``."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise _invalid("no valid X-Slack-Request-Timestamp")
    if abs(now() - int(timestamp)) > MAX_AGE_SECONDS:
        raise _invalid("the timestamp is more than 5 minutes away from now")
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise _invalid("the X-Slack-Signature does not match")


def parse_signed(body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """The payload as Bolt will read it; 400 ``slack_body_invalid`` when it is not UTF-8, JSON where JSON is due, or holds NUL."""
    try:
        text = body.decode("utf-8")
        parsed = parse_body(text, extract_content_type({"content-type": [headers.get("content-type", "")]}))
        nul = find_nul(parsed, _MAX_DEPTH)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        reason = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else "not the JSON or form Slack sends"
        raise AdvisorError(f"The signed Slack body is {reason}.", code="slack_body_invalid", status=400) from None
    if not isinstance(parsed, dict):
        raise AdvisorError("The signed Slack body is not an object.", code="slack_body_invalid", status=400)
    if nul is not None:
        raise AdvisorError(f"The signed Slack body holds a NUL character in {nul}.", code="slack_body_invalid", status=400)
    return parsed
