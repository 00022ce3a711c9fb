"""dbt-duckdb plugin: the pseudonym function used by the identity models.

A person key is HMAC-SHA256 of the person's canonical identity under a secret
key (HUB_PSEUDONYM_KEY): stable across runs, not reversible without the key.
The hub gives dbt's process the key in its environment (core/settings.py, dbt_secrets);
it never leaves that process: it is not written to logs or metadata.
Without the key, the models that key persons fail: a default would silently re-key them.
"""

from __future__ import annotations

import os

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from penal_hub.core.pseudonyms import pseudonym


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        key = os.environ.get("HUB_PSEUDONYM_KEY")
        if key:
            encoded = key.encode("utf-8")
            keyed = lambda identity: pseudonym(identity, encoded)
        else:  # fail where a key is needed: `dbt docs generate` and the like need none
            keyed = _refuse_without_key
        conn.create_function("hub_pseudonym", keyed, ["VARCHAR"], "VARCHAR", side_effects=False)


def _refuse_without_key(identity: str) -> str:
    raise RuntimeError("HUB_PSEUDONYM_KEY is not set: dbt would key every person anew. Export "
                       "the key the warehouse was built with (hub sets it for its own runs).")
