"""Hypothesis profiles (`ci`, the default of `make test`; `dev`, quick; `thorough`) and
shared fixtures."""

import os
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import tensorgrad as tg

_common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=30, derandomize=True, **_common)
settings.register_profile("dev", max_examples=10, **_common)
settings.register_profile("thorough", max_examples=400, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def float32_default() -> Iterator[None]:
    """float32 as the default dtype for the test, restored afterwards."""
    previous = tg.get_default_dtype()
    tg.set_default_dtype(np.float32)
    try:
        yield
    finally:
        tg.set_default_dtype(previous)
