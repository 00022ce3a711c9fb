"""Automation conditions shared by the areas."""

import dagster as dg

from penal_hub.orchestration.ingest.assets import LEDGER_KEY, QUARANTINE_KEY

# raw.deliveries, the landing's ledger, and raw.quarantine beside it are materialised by
# the landing of any source, and what follows them (the publications, the batch checks
# that judge the ledger, the audit views) follows the build, not each landing: the
# automation does not wait for them nor follow their updates.
LANDING_LEDGER = dg.AssetSelection.assets(LEDGER_KEY, QUARANTINE_KEY)

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

# A model that reads no other asset (a dimension of fixed values, dim_indicador) has no
# parent whose update would build it: it is built while missing, once nothing is running
# for it. Every model downstream of it, and the checks that read it, wait for it.
BUILD_WHILE_MISSING = (dg.AutomationCondition.missing()
                       & ~dg.AutomationCondition.in_progress())
