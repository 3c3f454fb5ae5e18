"""Emails and phone numbers that look real; documentation placeholders (example.com, 555 numbers) are left alone."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@((?:[\w-]+\.)+[A-Za-z]{2,})")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ -]?)?(?:\(\d{2,4}\)[ -]?|\d{2,4}[ -])\d{3,4}[ -]\d{3,4}(?!\w)|\+\d{9,15}\b")
# Domains reserved for documentation (RFC 2606 / 6761) and the ones tutorials use as stand-ins.
PLACEHOLDER_DOMAINS = frozenset(
    {
        "example.com",
        "example.org",
        "example.net",
        "email.com",
        "domain.com",
        "yourdomain.com",
        "company.com",
        "yourcompany.com",
        "mycompany.com",
        "test.com",
        "sample.com",
        "acme.com",
        "acme.org",
        "foo.com",
        "bar.com",
    }
)
PLACEHOLDER_TLDS = (".example", ".test", ".invalid", ".localhost")
PLACEHOLDER_USERS = frozenset(
    {"user", "username", "name", "yourname", "your.name", "firstname.lastname", "someone", "email", "you"}
)
_DIGITS = b"0123456789"


def placeholder_email(match: re.Match[str]) -> bool:
    domain = match.group(1).lower()
    user = match.group(0).split("@", 1)[0].lower()
    return domain in PLACEHOLDER_DOMAINS or domain.endswith(PLACEHOLDER_TLDS) or user in PLACEHOLDER_USERS


def placeholder_phone(number: str) -> bool:
    """555 exchanges (reserved for fiction in North America), counting runs, and a single repeated digit."""
    digits = re.sub(r"\D", "", number)
    local = digits[-10:]
    if len(local) == 10 and "555" in (local[:3], local[3:6]):
        return True
    if len(local) == 7 and local.startswith("555"):
        return True
    return len(set(digits[-7:])) == 1 or digits[-7:] in "01234567890" or digits[-7:] in "98765432109" or "1234567" in digits


def kinds(text: str) -> list[str]:
    """What personal data ``text`` seems to hold: "an email address", "a phone number", or nothing."""
    found = []
    # Cheap prefilters first: the regexes cost more than json.loads on a typical line.
    if "@" in text and any(not placeholder_email(m) for m in _EMAIL.finditer(text)):
        found.append("an email address")
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) - len(raw.translate(None, _DIGITS)) >= 9 and any(
        not placeholder_phone(m.group(0)) for m in _PHONE.finditer(text)
    ):
        found.append("a phone number")
    return found
