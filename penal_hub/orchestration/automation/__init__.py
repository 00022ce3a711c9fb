"""Automation: the landing-zone sensor, declarative automation, the dead-runs sensor, the
daily schedule and the jobs they start."""

from penal_hub.orchestration.automation.dead_runs import dead_runs_sensor
from penal_hub.orchestration.automation.sensors import (
    automation_sensor,
    daily_full_run,
    downstream_job,
    land_jobs,
    landing_zone_sensor,
)

jobs = [*land_jobs.values(), downstream_job]
sensors = [landing_zone_sensor, automation_sensor, dead_runs_sensor]
schedules = [daily_full_run]

__all__ = ["automation_sensor", "daily_full_run", "dead_runs_sensor", "downstream_job", "jobs",
           "land_jobs", "landing_zone_sensor", "schedules", "sensors"]
