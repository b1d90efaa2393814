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


@pytest.fixture
def model_host(monkeypatch: pytest.MonkeyPatch):
    """`model_host(name)` compiles for the host as if it were the named
    machine of `machines.MODELLED_HOSTS` and returns its vector unit: tests
    of the cost model say which machine they model instead of asking this
    host's caches and ISA."""
    from dataclasses import replace

    from pelemay_ir import machines

    def model(name: str) -> machines.Vectors:
        vectors = machines.parse_host_cpu(machines.MODELLED_HOSTS[name])
        monkeypatch.setitem(machines.MACHINES, "host", replace(machines.MACHINES["host"], vectors=vectors))
        return vectors

    return model
