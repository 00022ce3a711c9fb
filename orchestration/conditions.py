"""Automation conditions shared by the areas."""

import dagster as dg

# Downstream of landing, assets follow their parents once every blocking check upstream
# passed (the landing sensor only lands; the daemon then builds what follows).
FOLLOW_UPSTREAM = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
