"""Dagster code of the hub, by area: ingest, transform, quality, publish.

Importing it fills in the hub's environment defaults (core/settings.py), so dbt's
profile, the resources and every subprocess see the same paths.
"""

from penal_hub.core.settings import Settings

Settings.from_env().export()
