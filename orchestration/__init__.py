"""Dagster code of the hub, by area: ingest, transform, quality, publish.

Importing it fills in the hub's environment defaults (hub/settings.py), so dbt's
profile, the resources and every subprocess see the same paths.
"""

from hub.settings import Settings

Settings.from_env().export()
