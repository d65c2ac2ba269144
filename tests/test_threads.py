"""Threads: grad mode and anomaly mode belong to the thread that sets them.

Each test makes its threads overlap for real: barriers order the steps that must run at
the same time, and a short switch interval makes the interpreter hand the GIL from
thread to thread every few operations, so that a mode shared between threads would cut
another thread's graph (as it did when the modes were global). Every thread is joined
with a timeout, so a hang fails the test rather than the run.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F

TIMEOUT_S = 120


@pytest.fixture(autouse=True)
def _switch_threads_often() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def run_threads(*targets: Callable[[], Any]) -> list[Any]:
    """Run each target in a thread of its own; their results, or the first error raised."""
    results: list[Any] = [None] * len(targets)
    errors: list[BaseException] = []

    def run(i: int, target: Callable[[], Any]) -> None:
        try:
            results[i] = target()
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=(i, target), daemon=True)
        for i, target in enumerate(targets)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads), f"a thread ran over {TIMEOUT_S} s"
    if errors:
        raise errors[0]
    return results


def test_no_grad_in_one_thread_leaves_another_recording() -> None:
    inside, done = threading.Barrier(2, timeout=TIMEOUT_S), threading.Barrier(2, timeout=TIMEOUT_S)

    def evaluate() -> bool:
        with tg.no_grad():
            inside.wait()  # the other thread computes while this one is in no_grad
            done.wait()
            return tg.is_grad_enabled()

    def compute() -> tuple[bool, bool]:
        x = tg.tensor([1.0, 2.0], requires_grad=True)
        inside.wait()
        y = (x * x).sum()
        done.wait()
        return y.requires_grad, tg.is_grad_enabled()

    assert run_threads(evaluate, compute) == [False, (True, True)]


def test_a_new_thread_starts_with_grad_enabled_and_anomaly_detection_off() -> None:
    def child() -> tuple[bool, float]:
        with np.errstate(invalid="ignore"):
            return tg.is_grad_enabled(), float(tg.log(tg.tensor(-1.0)))

    with tg.no_grad(), tg.detect_anomaly():
        (result,) = run_threads(child)
        assert not tg.is_grad_enabled()
    enabled, value = result
    assert enabled and np.isnan(value)  # NaN, not detect_anomaly's FloatingPointError


def test_detect_anomaly_in_one_thread_checks_only_that_thread() -> None:
    inside, done = threading.Barrier(2, timeout=TIMEOUT_S), threading.Barrier(2, timeout=TIMEOUT_S)

    def checked() -> str:
        with tg.detect_anomaly():
            inside.wait()
            try:
                with np.errstate(invalid="ignore"):
                    tg.log(tg.tensor([-1.0]))
            except FloatingPointError as error:
                return str(error).split(":")[0]
            finally:
                done.wait()
        return "not raised"

    def unchecked() -> bool:
        inside.wait()
        with np.errstate(invalid="ignore"):
            out = tg.log(tg.tensor([-1.0], requires_grad=True))
        done.wait()
        return bool(np.isnan(out.data).all())

    assert run_threads(checked, unchecked) == ["log", True]


def train(model: tg.nn.Module, X: np.ndarray, y: np.ndarray, steps: int,
          start: threading.Barrier | None = None) -> list[np.ndarray]:  # fmt: skip
    """Plain SGD on full batches; every parameter must receive a gradient at every step."""
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    if start is not None:
        start.wait()
    for step in range(steps):
        loss = F.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        missing = [name for name, p in model.named_parameters() if p.grad is None]
        assert not missing, f"step {step}: no gradient reached {missing}"
        optimizer.step()
    return [p.data.copy() for p in model.parameters()]


def test_threads_training_their_own_models_match_training_them_one_after_another() -> None:
    count, steps = 4, 300
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 64))
    y = rng.integers(0, 10, 32)

    def model(seed: int) -> tg.nn.MLP:
        return tg.nn.MLP([64, 32, 10], rng=seed)

    one_after_another = [train(model(seed), X, y, steps) for seed in range(count)]
    start = threading.Barrier(count, timeout=TIMEOUT_S)
    together = run_threads(
        *[lambda seed=seed: train(model(seed), X, y, steps, start) for seed in range(count)]
    )
    for alone, concurrent in zip(one_after_another, together):
        for a, b in zip(alone, concurrent):
            np.testing.assert_array_equal(a, b)


def test_training_is_unaffected_by_another_thread_entering_and_leaving_no_grad() -> None:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((16, 8))
    y = rng.integers(0, 3, 16)
    steps = 1000
    expected = train(tg.nn.MLP([8, 16, 16, 3], rng=2), X, y, steps)
    start = threading.Barrier(2, timeout=TIMEOUT_S)
    stop = threading.Event()
    evaluator = tg.nn.MLP([8, 16, 16, 3], rng=3)

    def evaluate() -> int:
        start.wait()
        rounds = 0
        while not stop.is_set():
            with tg.no_grad():
                evaluator(X)
            rounds += 1
        return rounds

    def train_then_stop() -> list[np.ndarray]:
        try:
            return train(tg.nn.MLP([8, 16, 16, 3], rng=2), X, y, steps, start)
        finally:
            stop.set()

    rounds, trained = run_threads(evaluate, train_then_stop)
    assert rounds > 0
    for a, b in zip(expected, trained):
        np.testing.assert_array_equal(a, b)


def test_backward_in_two_threads_through_a_shared_leaf_accumulates_both() -> None:
    # As in PyTorch: concurrent backward passes add into the shared leaf's .grad (an
    # optimizer step on shared parameters is the user's to serialise).
    rounds = 10000
    w = tg.tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)
    start = threading.Barrier(2, timeout=TIMEOUT_S)

    def backward(scale: float) -> None:
        start.wait()
        for _ in range(rounds):
            (scale * w * w).sum().backward()

    run_threads(lambda: backward(1.0), lambda: backward(3.0))
    np.testing.assert_allclose(w.grad, rounds * (2.0 + 6.0) * w.data, rtol=1e-12)
