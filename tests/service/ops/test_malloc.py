"""The API caps glibc's malloc arenas unless MALLOC_ARENA_MAX already does (service/ops/malloc.py)."""

from __future__ import annotations

import platform

import pytest

from service.ops import malloc


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_the_cap_is_set_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert malloc.limit_malloc_arenas() is True


def test_an_explicit_setting_is_left_to_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert malloc.limit_malloc_arenas() is False
