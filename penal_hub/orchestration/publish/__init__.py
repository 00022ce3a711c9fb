"""Publish: the extract for the Poder Judicial, written only when the stored verdicts pass."""
