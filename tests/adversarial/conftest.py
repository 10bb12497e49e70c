"""The adversarial suite: bounded hypothesis examples in CI; ``HYPOTHESIS_PROFILE=long`` runs many more."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=8, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
settings.register_profile("medium", max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
