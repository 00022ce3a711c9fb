"""The pseudonym key (HUB_PSEUDONYM_KEY): which keys the hub accepts, and the keyed hashes.

A person key is HMAC-SHA256 of the person's identity (`DOC:DNI:04012345`, ...). Document
numbers are few (10^8 DNIs): with a key an attacker can guess, every key is reversed by
trying them all, so the key itself must be out of reach of guessing (README, "The
pseudonym key"). The demo key is public: only a landing zone the simulator wrote may use it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from pathlib import Path

# Demo key only: a real deployment must set HUB_PSEUDONYM_KEY to a secret.
DEMO_PSEUDONYM_KEY = "demo-key-NOT-FOR-PRODUCTION"
# 32 characters of `secrets.token_urlsafe` or hex are 192 or 128 bits: far beyond any
# guessing (README, "The pseudonym key", for the measured rate).
MIN_KEY_CHARS = 32
# A long key of few distinct characters ("aaaa...", "abab...") is not a random one.
MIN_DISTINCT_CHARS = 10
NEW_KEY_COMMAND = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
FIX = f"set HUB_PSEUDONYM_KEY to a secret of {MIN_KEY_CHARS}+ random characters ({NEW_KEY_COMMAND})"
# What the extract's person identifier is keyed with, derived from the pseudonym key: the
# same person gets unrelated values in the marts and in the extract.
EXTRACT_KEY_LABEL = b"hub:estado-ejecucion:idPersona"


def pseudonym(identity: str, key: bytes) -> str:
    return hmac.new(key, identity.encode("utf-8"), hashlib.sha256).hexdigest()


def extract_person_ids(persona_keys: Iterable[str], key: bytes) -> dict[str, str]:
    """The extract's identifier of each person: stable across cut-offs, and not computable
    from the marts' `persona_key` without the secret key."""
    extract_key = hmac.new(key, EXTRACT_KEY_LABEL, hashlib.sha256).digest()
    return {persona_key: pseudonym(persona_key, extract_key) for persona_key in persona_keys}


def is_simulated(landing_dir: Path) -> bool:
    """Whether the simulator wrote this landing zone: its ground truth lies beside it."""
    return (Path(landing_dir).parent / "truth" / "truth.json").is_file()


def key_problem(key: str | None) -> str | None:
    """Why `key` may not key real persons' data (None: it may), in words for the operator."""
    if key is None:
        return f"HUB_PSEUDONYM_KEY is not set: {FIX}"
    if not key.strip():
        return f"HUB_PSEUDONYM_KEY is empty: {FIX}"
    if key == DEMO_PSEUDONYM_KEY:
        return f"HUB_PSEUDONYM_KEY is the public demo key, only for simulated landing zones: {FIX}"
    if len(key) < MIN_KEY_CHARS:
        return f"HUB_PSEUDONYM_KEY has {len(key)} characters, too few to resist guessing: {FIX}"
    if len(set(key)) < MIN_DISTINCT_CHARS:
        return f"HUB_PSEUDONYM_KEY repeats {len(set(key))} characters, not a random key: {FIX}"
    return None
