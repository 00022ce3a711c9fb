"""Build the model of 2024 from a scale and a seed.

Counts are calibrated (calibration.py) so that at scale 1 the last cut-off reproduces
the December 2024 figures of docs/outputs.md exactly. The steps share one seeded
generator, so their order is part of the output: reordering them changes the files.
"""

from __future__ import annotations

from penal_hub.simulator.court import corrections, court_only_persons, homonyms
from penal_hub.simulator.factory import Factory
from penal_hub.simulator.held import held_population
from penal_hub.simulator.intramuros import activities, transfers
from penal_hub.simulator.medio_libre import medio_libre_population
from penal_hub.simulator.model import World
from penal_hub.simulator.releases import releases


def build_world(scale: float, seed: int) -> World:
    factory = Factory(scale, seed)
    held_population(factory)  # everyone held on the last cut-off, most planted alerts among them
    releases(factory)  # released during the year; detention orders never executed
    medio_libre_population(factory)  # tops up the cases opened above to the calibrated totals
    court_only_persons(factory)
    homonyms(factory)
    transfers(factory)
    activities(factory)
    corrections(factory)  # last: it samples among every resolution made above
    return factory.world
