"""Fixtures shared by all tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import CLI

HARNESS_SCHEMA = Path(__file__).resolve().parent.parent.parent / "shared" / "harness-schema" / "pipeline.json"


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(tmp_path)


@pytest.fixture(scope="session")
def harness() -> dict[str, object]:
    """Harness's published NextGen schema: beside the checkout in CI (../shared), absent from a
    user's clone, where the conformance tests skip with this reason."""
    import json

    if not HARNESS_SCHEMA.exists():
        pytest.skip("Harness's published schema is not beside this checkout (../shared/harness-schema)")
    schema: dict[str, object] = json.loads(HARNESS_SCHEMA.read_text())
    return schema


@pytest.fixture(params=["customsrc-launch", "bubblewrap"])
def launcher(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test with each way ``basic`` starts a script as root: customsrc's own launcher
    (where it can be built) and bubblewrap (``CUSTOMSRC_LAUNCHER=off``); both must hold."""
    from customsrc import machine

    if request.param == "bubblewrap":
        monkeypatch.setenv("CUSTOMSRC_LAUNCHER", "off")
    else:
        monkeypatch.delenv("CUSTOMSRC_LAUNCHER", raising=False)
    machine._probes.pop("launcher", None)
    yield request.param
    machine._probes.pop("launcher", None)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test run at --sandbox basic or strict needs what those levels are made of here."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("level") in ("basic", "strict"):
        from customsrc.machine import bubblewrap
        from customsrc.paths import tool

        from .helpers import need

        need(tool("unshare"), "unshare (util-linux)", "apt-get install util-linux")
        need(bubblewrap(), "bubblewrap (a working bwrap)", "apt-get install bubblewrap")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``corpus`` read what the rest of the suite wrote: they run last."""
    items.sort(key=lambda item: item.get_closest_marker("corpus") is not None)
