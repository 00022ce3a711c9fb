"""Dagster code of the hub, by area: ingest, transform, quality, publish.

Importing it changes nothing in the environment: the resources are built from the hub's
Settings (definitions.py), and dbt is handed its configuration (transform/project.py).
"""
