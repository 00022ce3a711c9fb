"""Transform: the dbt project as Dagster assets (one per model, tests as checks)."""
