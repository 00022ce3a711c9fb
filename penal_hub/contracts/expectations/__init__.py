"""Great Expectations suites for the hub's staged and canonical data (see `suites`).

Plain data, no GX import: the suites are built from the feed contract's value sets
(`penal_hub.contracts.feeds`), so a value added to the contract is accepted here too, and
importing them costs nothing when Dagster loads its definitions.
"""
