"""Automation: the landing-zone sensor, the daily schedule and the jobs they start."""

from orchestration.automation.sensors import (
    daily_full_run,
    downstream_job,
    land_jobs,
    landing_zone_sensor,
)

jobs = [*land_jobs.values(), downstream_job]
sensors = [landing_zone_sensor]
schedules = [daily_full_run]

__all__ = ["daily_full_run", "downstream_job", "jobs", "land_jobs", "landing_zone_sensor",
           "schedules", "sensors"]
