"""dbt-duckdb plugin: the pseudonym function used by the identity models.

A person key is HMAC-SHA256 of the person's canonical identity under a secret
key (HUB_PSEUDONYM_KEY): stable across runs, not reversible without the key.
The key never leaves this process: it is not written to logs or metadata.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from hub.settings import DEMO_PSEUDONYM_KEY


def pseudonym(identity: str, key: bytes) -> str:
    return hmac.new(key, identity.encode("utf-8"), hashlib.sha256).hexdigest()


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        key = os.environ.get("HUB_PSEUDONYM_KEY", DEMO_PSEUDONYM_KEY).encode("utf-8")
        conn.create_function("hub_pseudonym", lambda identity: pseudonym(identity, key),
                             ["VARCHAR"], "VARCHAR", side_effects=False)
