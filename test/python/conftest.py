"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def private_cache(tmp_path_factory):
    """A build cache of the module's own, so its builds are really compiled."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PELEMAY_CACHE", str(tmp_path_factory.mktemp("ccache")))
    yield
    mp.undo()
