"""The examples reach their results and write their files (short runs of each)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_demo import load_example

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytest.importorskip("matplotlib")


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE, path


def test_digits_mlp_reaches_95_percent_and_its_checkpoint_reloads_identically(
    tmp_path: Path,
) -> None:
    result = load_example("digits_mlp").train(epochs=8, out=tmp_path, quiet=True)
    assert result["test_accuracy"] >= 0.95
    # The same weights give the same predictions, so exactly the same accuracy.
    assert result["reloaded_accuracy"] == result["test_accuracy"]
    assert result["train_losses"][-1] < result["train_losses"][0] / 5
    assert result["checkpoint"] == tmp_path / "checkpoint.npz"
    assert result["checkpoint"].read_bytes()[:2] == b"PK"  # an .npz is a zip archive
    assert_png(result["plot"])


def test_spiral_classifier_separates_the_three_arms(tmp_path: Path) -> None:
    result = load_example("spiral_classifier").train(epochs=150, out=tmp_path, quiet=True)
    # A linear classifier gets about a third of the points right; chance loss is ln 3.
    assert result["train_accuracy"] >= 0.95
    assert result["test_accuracy"] >= 0.9
    assert result["losses"][-1] < 0.1
    names = ["decision_boundary.png", "loss.png", "gradient_norms.png"]
    assert [path.name for path in result["plots"]] == names
    for path in result["plots"]:
        assert_png(path)


def test_regression_fits_the_sine_far_better_than_the_mean(tmp_path: Path) -> None:
    result = load_example("regression").train(epochs=100, out=tmp_path, quiet=True)
    # Predicting the mean of y scores var(y); the noise alone costs 0.01.
    assert result["test_mse"] < 0.2 * result["y_variance"]
    assert result["train_mse"] < 0.2 * result["y_variance"]
    assert 0.005 < result["test_mse"] < 0.05
    # The cosine schedule takes the rate from 0.05 down towards 0 over the run.
    learning_rates = result["history"]["lr"]
    assert learning_rates[0] == pytest.approx(0.05)
    assert learning_rates[-1] < 1e-3
    assert learning_rates == sorted(learning_rates, reverse=True)
    for path in result["plots"]:
        assert_png(path)


def test_newton_reaches_the_rosenbrock_minimum_and_hvp_matches_differences() -> None:
    example = load_example("newton_and_hvp")
    path = example.newton([-1.2, 1.0])
    assert len(path) <= 10  # Newton's method converges in a handful of steps
    np.testing.assert_allclose(path[-1], [1.0, 1.0], atol=1e-10)
    scale, error = example.mlp_hvp_check()
    assert scale > 1e-3  # a product far from zero, so the comparison means something
    assert error < 1e-6
