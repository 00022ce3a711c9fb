"""Quality: the GX suites of contracts/expectations as Dagster checks, with stored verdicts."""
