"""The `hub` command line: the top layer, beside orchestration."""
