"""Ingest: one partitioned asset per source, landing its deliveries into `raw`."""
