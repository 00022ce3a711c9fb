"""Great Expectations suites for the hub's staged and canonical data (see `suites`).

Plain data, no GX import: each suite's expectations are a JSON file here in GX's suite
format, their value sets named as parameters that `suites` fills in from the feed contract
(`penal_hub.contracts.feeds`), so a value added to the contract is accepted here too, and
importing them costs nothing when Dagster loads its definitions.
"""
