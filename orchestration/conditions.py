"""Automation conditions shared by the areas."""

import dagster as dg

# raw.deliveries and raw.quarantine (dbt's source `raw_hub`) are the landing's ledger,
# written by every land asset along with its raw tables: no asset materialises them, so
# to the automation they would be missing forever and block everything downstream. The
# raw assets' materialisations stand for them.
LANDING_LEDGER = dg.AssetSelection.assets(["raw_hub", "deliveries"], ["raw_hub", "quarantine"])

# Downstream of landing, assets follow their parents once every blocking check upstream
# passed (the landing sensor only lands; the daemon then builds what follows).
FOLLOW_UPSTREAM = (dg.AutomationCondition.eager().ignore(LANDING_LEDGER)
                   & dg.AutomationCondition.all_deps_blocking_checks_passed().ignore(LANDING_LEDGER))

# A check is requested with its asset, in the same tick: the run then holds what follows
# until the check's verdict (a blocking check), instead of leaving it to a later tick. Not
# while a table it reads is missing: a dbt relationships test reads two models, and the
# other one's update alone must not run it before its own model exists.
CHECK_WITH_ITS_ASSET = (dg.AutomationCondition.any_deps_updated().ignore(LANDING_LEDGER)
                        & ~dg.AutomationCondition.any_deps_missing().ignore(LANDING_LEDGER))
