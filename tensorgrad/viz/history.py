"""Training curves: a small recorder that training loops append to, and its plot."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._figures import finish, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["History", "plot_history"]

# Prefixes that name the data split a metric was measured on.
SPLITS = ("train", "training", "val", "valid", "validation", "test", "eval")
_SPLIT_COLOURS = {"train": "C0", "training": "C0"}


class History(Mapping[str, list[float]]):
    """The metrics of a training run, each a series of values at steps or epochs.

    ``history.append(step, train_loss=..., test_acc=...)`` records any metrics at a
    step; each metric keeps its own steps, so a loss recorded every batch and an
    accuracy recorded every epoch live side by side. ``history[name]`` is the list of
    values of one metric and ``history.steps(name)`` their steps; a ``History`` is a
    read-only mapping from metric names to values (``dict(history)``, ``"loss" in
    history``). Names such as ``train_loss`` / ``test_loss`` share a panel in
    :func:`plot_history`.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> history = tg.viz.History()
    >>> for epoch in range(1, 4):
    ...     history.append(epoch, train_loss=1.0 / epoch, test_acc=0.5 + 0.1 * epoch)
    >>> history["train_loss"]
    [1.0, 0.5, 0.3333333333333333]
    >>> history.steps("test_acc")
    [1, 2, 3]
    >>> history.append(test_acc=0.95)  # the step after the last one
    >>> history.steps("test_acc"), list(history)
    ([1, 2, 3, 4], ['train_loss', 'test_acc'])
    """

    def __init__(self) -> None:
        self._values: dict[str, list[float]] = {}
        self._steps: dict[str, list[float]] = {}
        self._last_step: float = 0

    def append(self, step: float | None = None, /, **metrics: Any) -> None:
        """Record ``metrics`` (numbers, NumPy scalars or one-element tensors) at ``step``.

        ``step`` (an epoch or iteration number) defaults to the previous step plus one,
        starting at 1.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> history = tg.viz.History()
        >>> history.append(0, loss=tg.tensor(2.5))
        >>> history.append(loss=2.0)
        >>> history.steps("loss"), history["loss"]
        ([0, 1], [2.5, 2.0])
        """
        if not metrics:
            raise ValueError("History.append: give at least one metric, e.g. train_loss=0.5")
        if step is None:
            step = self._last_step + 1
        for name, value in metrics.items():
            number = value.item() if hasattr(value, "item") else value
            try:
                number = float(number)
            except (TypeError, ValueError):
                raise TypeError(
                    f"History.append: {name} must be a number, got {type(value).__name__}"
                ) from None
            self._values.setdefault(name, []).append(number)
            self._steps.setdefault(name, []).append(step)
        self._last_step = step

    def steps(self, name: str) -> list[float]:
        """The steps at which metric ``name`` was recorded.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> history = tg.viz.History()
        >>> history.append(10, loss=1.0)
        >>> history.steps("loss")
        [10]
        """
        return list(self._steps[self._known(name)])

    def _known(self, name: str) -> str:
        if name not in self._values:
            raise KeyError(f"History: no metric {name!r}; recorded: {sorted(self._values)}")
        return name

    def __getitem__(self, name: str) -> list[float]:
        return list(self._values[self._known(name)])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        parts = [f"{name}: {len(values)} values, last {values[-1]:.4g}"
                 for name, values in self._values.items()]  # fmt: skip
        return f"History({'; '.join(parts)})"


def _split(name: str) -> tuple[str, str]:
    """``("test", "loss")`` for ``test_loss``; ``("", name)`` for a name with no split."""
    prefix, _, metric = name.partition("_")
    return (prefix, metric) if prefix in SPLITS and metric else ("", name)


def _smoothed(values: np.ndarray, weight: float) -> np.ndarray:
    """An exponential moving average with TensorBoard's debiasing; NaNs are skipped."""
    out = np.empty_like(values)
    average, count = 0.0, 0
    for i, value in enumerate(values):
        if np.isfinite(value):
            average = weight * average + (1 - weight) * value
            count += 1
        out[i] = average / (1 - weight**count) if count else np.nan
    return out


def _title(metric: str) -> str:
    known = {"acc": "accuracy", "loss": "loss", "lr": "learning rate"}
    return known.get(metric, metric.replace("_", " "))


def plot_history(
    history: History | Mapping[str, Sequence[float]],
    path: str | Path | None = None,
    *,
    smooth: float = 0.0,
    logy: bool | str | Iterable[str] = False,
    metrics: str | Iterable[str] | None = None,
    xlabel: str = "epoch",
    title: str | None = None,
) -> Figure:
    """Plot every metric of a training run against its steps, splits side by side.

    Metrics named ``<split>_<metric>`` (``train_loss``, ``val_loss``, ``test_acc``; the
    splits are train, training, val, valid, validation, test and eval) share one panel
    per metric, one line per split; any other name gets a panel of its own.

    Parameters
    ----------
    history : History or mapping of str to sequence of float
        The run; a plain mapping's values are taken to be at steps 1, 2, ...
    path : str or Path, optional
        Where to save the figure (PNG, SVG or PDF, from the suffix).
    smooth : float
        Weight in ``[0, 1)`` of an exponential moving average (TensorBoard's
        smoothing); when positive, the raw curves are drawn faintly behind the smooth
        ones.
    logy : bool, str or iterable of str
        ``True`` draws the loss panels (metrics whose name contains "loss") on a log
        scale; a name or an iterable of names chooses the panels to draw so (e.g.
        ``"loss"`` or ``["loss", "lr"]``; a metric's full name, ``"train_loss"``, stands
        for its panel). A name that is not drawn is a ``ValueError``.
    metrics : str or iterable of str, optional
        Only this metric or these (default: all); a name not recorded is a ``KeyError``.
    xlabel : str
        The label of the x-axis ("epoch", "step", ...).
    title : str, optional
        A title above the panels.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import tempfile, pathlib, tensorgrad as tg
    >>> history = tg.viz.History()
    >>> for epoch in range(1, 6):
    ...     history.append(epoch, train_loss=1 / epoch, test_loss=1.2 / epoch, test_acc=0.9)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "curves.png"
    >>> fig = tg.viz.plot_history(history, path, smooth=0.5, logy=True)
    >>> [len(ax.lines) for ax in fig.axes], path.stat().st_size > 0
    ([4, 2], True)
    """
    if not 0 <= smooth < 1:
        raise ValueError(f"plot_history: smooth must be in [0, 1), got {smooth}")
    if not history:
        raise ValueError("plot_history: the history holds no metric yet; record some first")
    recorded = list(history)
    names = recorded if metrics is None else _selection(metrics, "metrics")
    for name in names:
        if name not in history:
            raise KeyError(f"plot_history: no metric {name!r}; the metrics recorded are "
                           f"{recorded}")  # fmt: skip
    if not names:
        raise ValueError(f"plot_history: metrics is empty; choose from {recorded}, or leave "
                         "it out to plot them all")  # fmt: skip
    panels: dict[str, list[str]] = {}
    for name in names:
        panels.setdefault(_split(name)[1], []).append(name)
    if isinstance(logy, bool):
        log_panels = {metric for metric in panels if logy and "loss" in metric}
    else:
        log_panels = set()
        for name in _selection(logy, "logy"):
            if name in panels:
                log_panels.add(name)
            elif name in names:  # a metric stands for its panel
                log_panels.add(_split(name)[1])
            else:
                raise ValueError(
                    f"plot_history: logy names {name!r}, which is not drawn; the panels are "
                    f"{list(panels)} and the metrics {names}"
                )

    plt = pyplot()
    columns = min(len(panels), 3)
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.8 * columns, 3.6 * rows),
                             layout="constrained", squeeze=False)  # fmt: skip
    for ax, (metric, members) in zip(axes.flat, panels.items()):
        _draw_panel(ax, history, metric, members, smooth, metric in log_panels, xlabel)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return finish(fig, path)


def _selection(names: str | Iterable[str], what: str) -> list[str]:
    """A list of names from one name or an iterable of them (a string is one name)."""
    if isinstance(names, str):
        return [names]
    try:
        selection = list(names)
    except TypeError:
        raise TypeError(f"plot_history: {what} must be a name or a list of names, got "
                        f"{type(names).__name__}") from None  # fmt: skip
    for name in selection:
        if not isinstance(name, str):
            raise TypeError(f"plot_history: {what} must hold metric names (str), got "
                            f"{name!r}")  # fmt: skip
    return selection


def _draw_panel(
    ax: Axes,
    history: History | Mapping[str, Sequence[float]],
    metric: str,
    members: list[str],
    smooth: float,
    log: bool,
    xlabel: str,
) -> None:
    colours = iter(["C1", "C2", "C3", "C4", "C5", "C6"])
    for name in members:
        values = np.asarray(history[name], dtype=np.float64)
        steps = (history.steps(name) if isinstance(history, History)
                 else np.arange(1, len(values) + 1))  # fmt: skip
        split = _split(name)[0]
        colour = _SPLIT_COLOURS.get(split) or next(colours)
        label = split or name
        if smooth > 0:
            ax.plot(steps, values, color=colour, alpha=0.25, linewidth=1)
            ax.plot(steps, _smoothed(values, smooth), color=colour, label=label)
        else:
            marker = "." if len(values) < 40 else ""
            ax.plot(steps, values, color=colour, label=label, marker=marker)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=_title(metric), title=_title(metric).capitalize())
    ax.grid(alpha=0.3)
    ax.legend()
