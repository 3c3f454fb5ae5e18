"""The ids the service makes: request ids as ``uuid.uuid4().hex`` makes them, and version-7 UUIDs for stored advice."""

from __future__ import annotations

import re
import time
import uuid

from service.ids import uuid4_hex, uuid7_text


def test_request_ids_are_random_version_4_uuids_in_hex() -> None:
    made = [uuid4_hex() for _ in range(2_000)]
    assert len(set(made)) == len(made)
    for digits in made:
        parsed = uuid.UUID(hex=digits)
        assert re.fullmatch(r"[0-9a-f]{32}", digits) and parsed.hex == digits
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    # Every other bit is random: each of the 122 takes both values over a few hundred ids.
    ones = [0] * 128
    for _ in range(400):
        value = int(uuid4_hex(), 16)
        for bit in range(128):
            ones[bit] += value >> bit & 1
    fixed = {bit for bit in range(128) if ones[bit] in (0, 400)}
    assert fixed == {76, 77, 78, 79, 62, 63}  # the version (0100) and the variant (10)


def test_time_ordered_ids_are_version_7_uuids_in_the_order_they_were_made() -> None:
    before = time.time_ns() // 1_000_000
    made = [uuid7_text() for _ in range(2_000)]
    after = time.time_ns() // 1_000_000
    assert len(set(made)) == len(made)
    stamps = []
    for text in made:
        parsed = uuid.UUID(text)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122 and str(parsed) == text
        stamps.append(parsed.int >> 80)
    assert stamps == sorted(stamps) and before <= stamps[0] and stamps[-1] <= after
    # Apart from the time, the version and the variant, every bit is random.
    ones = [0] * 80
    for _ in range(400):
        value = uuid.UUID(uuid7_text()).int
        for bit in range(80):
            ones[bit] += value >> bit & 1
    assert {bit for bit in range(80) if ones[bit] in (0, 400)} == {76, 77, 78, 79, 62, 63}
