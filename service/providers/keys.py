"""Which key each chat provider needs, and where it comes from: apart from the chat client, so that what only reads
the keys (an experiment's plan, at API start-up) does not import the HTTP client (httpx2 and idna, ~0.1 s)."""

from __future__ import annotations

from service.config import Settings

KEY_ENV: dict[str, str | None] = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "google": "GOOGLE_API_KEY",
    "openai_compatible": None,  # a local server takes any key; the SDK needs one, so it sends a placeholder
}
LOCAL_KEY = "not-needed"


def api_key(settings: Settings, provider: str) -> str | None:
    """The provider's key from the environment (through the settings); a placeholder for openai_compatible."""
    secret = {
        "openai": settings.openai_api_key,
        "anthropic": settings.anthropic_api_key,
        "google": settings.google_api_key,
    }.get(provider)
    if provider == "openai_compatible":
        return LOCAL_KEY
    return secret.get_secret_value() if secret is not None else None
