"""The guide's pages run as doctests (``--doctest-glob=*.md``), each in a fresh folder.

A page saves its pictures in the current folder, as it would for a reader who runs it
top to bottom, so each one runs inside a temporary folder of its own: nothing is
written into the work tree. ``docs/make_images.py`` runs the same code to refresh the
pictures in ``docs/images/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _run_in_a_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # "When training goes wrong" lets NumPy warn about log(0), as it would for a reader,
    # to show what detect_anomaly turns into an error; the warning is the point there.
    for item in items:
        if item.name == "troubleshooting.md":
            item.add_marker(pytest.mark.filterwarnings("ignore:divide by zero encountered in log"))
