"""The `make demo` job reaches its accuracy and writes its plot (a short run of it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_short_demo_run_reaches_97_percent_and_saves_the_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    demo = load_example("demo")
    history = demo.train(epochs=6, quiet=True)
    assert len(history["test_acc"]) == 6
    assert history["test_acc"][-1] >= 0.97
    # The loss falls from epoch to epoch, far below chance level (ln 10 = 2.3).
    assert history["train_loss"][-1] < history["train_loss"][0] / 3 < 2.3 / 3
    path = demo.plot(history, tmp_path / "curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
