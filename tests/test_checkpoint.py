"""A checkpoint saved with tg.save and restored with tg.load continues training exactly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F

OPTIMIZERS: dict[str, Callable[..., tg.optim.Optimizer]] = {
    "sgd-nesterov": lambda p: tg.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda p: tg.optim.Adam(p, lr=1e-2),
    "adamw": lambda p: tg.optim.AdamW(p, lr=1e-2),
    "rmsprop": lambda p: tg.optim.RMSprop(p, lr=1e-3, momentum=0.5),
}


def make(seed: int, optimizer: str) -> tuple[tg.nn.Module, tg.optim.Optimizer, object]:
    model = tg.nn.MLP([4, 8, 3], rng=np.random.default_rng(seed))
    opt = OPTIMIZERS[optimizer](model.parameters())
    schedule = tg.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, schedule


def train(model: tg.nn.Module, opt: tg.optim.Optimizer, schedule: object, steps: range) -> None:
    for step in steps:
        rng = np.random.default_rng(1000 + step)  # the batch depends only on the step
        X, y = rng.standard_normal((16, 4)), rng.integers(0, 3, 16)
        loss = F.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()  # type: ignore[attr-defined]


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_training_resumed_from_a_checkpoint_matches_training_straight_through(
    tmp_path: Path, optimizer: str
) -> None:
    model, opt, schedule = make(0, optimizer)
    train(model, opt, schedule, range(5))
    path = tmp_path / "checkpoint.npz"
    tg.save(
        {
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "schedule": schedule.state_dict(),  # type: ignore[attr-defined]
            "step": 5,
        },
        path,
    )
    train(model, opt, schedule, range(5, 10))

    # A fresh model with other initial weights, restored from the file.
    restored, restored_opt, restored_schedule = make(1, optimizer)
    checkpoint = tg.load(path)
    restored.load_state_dict(checkpoint["model"])
    restored_opt.load_state_dict(checkpoint["optimizer"])
    restored_schedule.load_state_dict(checkpoint["schedule"])  # type: ignore[attr-defined]
    train(restored, restored_opt, restored_schedule, range(checkpoint["step"], 10))

    for (name, expected), (_, actual) in zip(
        model.named_parameters(), restored.named_parameters()
    ):
        np.testing.assert_array_equal(actual.data, expected.data, err_msg=name)
    assert restored_opt.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_a_model_checkpoint_keeps_dtype_and_names(tmp_path: Path) -> None:
    model = tg.nn.MLP([3, 5, 2], dtype=np.float32)
    tg.save(model.state_dict(), tmp_path / "model.npz")
    state = tg.load(tmp_path / "model.npz")
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for name, param in model.named_parameters():
        assert isinstance(state[name], tg.Tensor)
        assert state[name].dtype == np.float32
        np.testing.assert_array_equal(state[name].data, param.data)
