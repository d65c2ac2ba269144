"""Functions over a plane: a two-parameter loss surface, a 2-D classifier's decision regions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from ._figures import finish, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_decision_boundary", "plot_loss_surface"]

_KINDS = ("contour", "surface", "both")


def _grid_axis(values: Sequence[float], resolution: int, what: str) -> np.ndarray:
    """``(lo, hi)`` as ``resolution`` evenly spaced points; longer sequences as given."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size < 2:
        raise ValueError(f"plot_loss_surface: {what} must be (lo, hi) or a 1-D grid, got {values}")
    return np.linspace(array[0], array[1], resolution) if array.size == 2 else array


def _check_resolution(resolution: Any, caller: str) -> None:
    if isinstance(resolution, bool) or not isinstance(resolution, int | np.integer):
        raise TypeError(f"{caller}: resolution must be an int (grid points per axis), got "
                        f"{type(resolution).__name__}")  # fmt: skip
    if resolution < 2:
        raise ValueError(f"{caller}: resolution must be at least 2 (grid points per axis), "
                         f"got {resolution}")  # fmt: skip


def _number(value: Any, a: float, b: float) -> float:
    """The loss ``loss_fn(a, b)`` returned, as a float: a number or a one-element tensor."""
    try:
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
    except (TypeError, ValueError):
        array = np.asarray(None)  # ragged: not a number either
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"plot_loss_surface: loss_fn({a:.4g}, {b:.4g}) returned a {type(value).__name__}; "
            "it must return a number or a one-element tensor"
        )
    if array.size != 1:
        raise ValueError(
            f"plot_loss_surface: loss_fn({a:.4g}, {b:.4g}) returned shape {array.shape}; it "
            "must return one number (reduce it, e.g. with .mean()), or, if it computes the "
            "whole grid at once, pass vectorized=True"
        )
    return float(array.reshape(()))


def _trajectory(trajectory: Any) -> np.ndarray | None:
    """The optimiser's path as an array of shape (steps, 2)."""
    if trajectory is None:
        return None
    if isinstance(trajectory, Tensor):
        trajectory = trajectory.data
    try:
        points = np.asarray(trajectory, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            "plot_loss_surface: trajectory must be an array of shape (steps, 2), one (w1, w2) "
            f"point per step, got a {type(trajectory).__name__} that is not numeric"
        ) from None
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(
            "plot_loss_surface: trajectory must be shape (steps, 2), one (w1, w2) point per "
            f"step, got shape {points.shape}; for a single point pass [[w1, w2]]"
        )
    return points


def plot_loss_surface(
    loss_fn: Callable[[Any, Any], Any],
    w1_range: Sequence[float],
    w2_range: Sequence[float],
    *,
    resolution: int = 61,
    kind: str = "both",
    vectorized: bool = False,
    trajectory: Any = None,
    labels: tuple[str, str] = ("w1", "w2"),
    title: str | None = None,
    axes: Sequence[Axes] | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Draw a loss of two parameters over a grid: contour map, 3-D surface, or both.

    ``loss_fn(w1, w2)`` is evaluated (under ``tg.no_grad()``) at every point of the
    grid spanned by ``w1_range`` and ``w2_range``; it returns a number or a
    one-element tensor (anything else is a ``ValueError``, as is a loss that is NaN
    everywhere on the grid). The contour map marks the grid's lowest point with a star and
    can overlay an optimiser's ``trajectory``; the surface shows the shape in 3-D
    (plateaus, valleys, saddles: whether the loss is convex).

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(w1, w2)`` with two floats, or, when ``vectorized``, with two 2-D
        arrays of the grid's shape, returning an array of that shape (much faster).
    w1_range, w2_range : sequence of float
        ``(lo, hi)`` spanned by ``resolution`` points, or the grid values themselves.
    resolution : int
        Grid points per axis for ``(lo, hi)`` ranges, at least 2.
    kind : {"both", "contour", "surface"}
        What to draw.
    vectorized : bool
        Call ``loss_fn`` once on the whole grid instead of once per point.
    trajectory : array-like of shape (steps, 2), optional
        Points ``(w1, w2)`` visited by an optimiser, drawn on the contour map.
    labels : tuple of str
        Names of the two parameters, for the axes.
    title : str, optional
        The figure's title (each axes' title when ``axes`` is given).
    axes : sequence of matplotlib Axes, optional
        Draw into these: one 2-D axes for "contour", one 3-D axes for "surface", both
        in that order for "both". By default a new figure is made.
    path : str or Path, optional
        Where to save the figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import tensorgrad as tg
    >>> bowl = lambda a, b: (a - 1) ** 2 + 2 * (b + 0.5) ** 2
    >>> fig = tg.viz.plot_loss_surface(bowl, (-2, 3), (-2, 1), resolution=21, vectorized=True)
    >>> [ax.name for ax in fig.axes]
    ['rectilinear', '3d', 'rectilinear']
    """
    if kind not in _KINDS:
        raise ValueError(f"plot_loss_surface: unknown kind {kind!r}; use one of {_KINDS}")
    _check_resolution(resolution, "plot_loss_surface")
    points = _trajectory(trajectory)
    w1 = _grid_axis(w1_range, resolution, "w1_range")
    w2 = _grid_axis(w2_range, resolution, "w2_range")
    W1, W2 = np.meshgrid(w1, w2)  # rows follow w2, columns w1
    with no_grad():
        if vectorized:
            result = loss_fn(W1, W2)
            Z = np.asarray(result.data if isinstance(result, Tensor) else result, np.float64)
            if Z.shape != W1.shape:
                raise ValueError(
                    f"plot_loss_surface: a vectorized loss_fn must return the grid's shape "
                    f"{W1.shape}, got {Z.shape}"
                )
        else:
            Z = np.array([[_number(loss_fn(a, b), a, b) for a, b in zip(row1, row2)]
                          for row1, row2 in zip(W1, W2)])  # fmt: skip
    if not np.isfinite(Z).any():
        everywhere = "NaN" if np.isnan(Z).all() else "NaN or infinite"
        raise ValueError(
            f"plot_loss_surface: the loss was {everywhere} everywhere on the grid (w1 from "
            f"{w1[0]:.4g} to {w1[-1]:.4g}, w2 from {w2[0]:.4g} to {w2[-1]:.4g}), so there is "
            "nothing to draw; check loss_fn at one point of the grid, or choose ranges where "
            "it is defined"
        )

    plt = pyplot()
    wanted = 2 if kind == "both" else 1
    if axes is None:
        fig = plt.figure(figsize=(5.5 * wanted, 4.6), layout="constrained")
        axes = []
        if kind in ("contour", "both"):
            axes.append(fig.add_subplot(1, wanted, 1))
        if kind in ("surface", "both"):
            axes.append(fig.add_subplot(1, wanted, wanted, projection="3d"))
        if title:
            fig.suptitle(title)
        axes_titles = ("contour map", "surface")
    else:
        if len(axes) != wanted:
            raise ValueError(f"plot_loss_surface: kind={kind!r} draws into {wanted} axes, "
                             f"got {len(axes)}")  # fmt: skip
        fig = axes[0].figure
        axes_titles = (title or "",) * 2
    axes = list(axes)
    if kind in ("contour", "both"):
        _contour(axes.pop(0), fig, W1, W2, Z, points, labels, axes_titles[0])
    if kind in ("surface", "both"):
        ax: Any = axes.pop(0)  # a 3-D Axes3D, from mpl_toolkits, which has no type hints
        ax.plot_surface(W1, W2, Z, cmap="viridis", linewidth=0, antialiased=True, alpha=0.95)
        ax.set(xlabel=labels[0], ylabel=labels[1], zlabel="loss", title=axes_titles[1])
        ax.view_init(elev=30, azim=-125)
    return finish(fig, path)


def _contour(
    ax: Axes,
    fig: Figure,
    W1: np.ndarray,
    W2: np.ndarray,
    Z: np.ndarray,
    points: np.ndarray | None,
    labels: tuple[str, str],
    title: str,
) -> None:
    filled = ax.contourf(W1, W2, Z, levels=30, cmap="viridis")
    ax.contour(W1, W2, Z, levels=12, colors="white", linewidths=0.5, alpha=0.6)
    fig.colorbar(filled, ax=ax, label="loss")
    lowest = np.unravel_index(np.nanargmin(Z), Z.shape)
    ax.plot(
        W1[lowest],
        W2[lowest],
        marker="*",
        markersize=14,
        color="white",
        markeredgecolor="black",
        linestyle="",
        label=f"lowest on grid ({Z[lowest]:.3g})",
        clip_on=False,
        zorder=3,
    )
    if points is not None:
        ax.plot(points[:, 0], points[:, 1], color="C3", marker=".", markersize=4,
                label=f"trajectory ({len(points) - 1} steps)")  # fmt: skip
        ax.plot(*points[0], marker="o", markersize=8, color="C3", markerfacecolor="white",
                linestyle="", label="start", clip_on=False, zorder=3)  # fmt: skip
    ax.set(xlabel=labels[0], ylabel=labels[1], title=title)
    # Below the axes: inside, it could hide the lowest point or the path.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=3, fontsize=8)


def plot_decision_boundary(
    model: Callable[[Any], Any],
    X: Any,
    y: Any,
    X_test: Any = None,
    y_test: Any = None,
    *,
    resolution: int = 200,
    margin: float = 0.1,
    labels: tuple[str, str] = ("x1", "x2"),
    title: str | None = None,
    ax: Axes | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Colour the plane by the class a 2-D classifier predicts, with the data on top.

    ``model`` maps an ``(n, 2)`` array to logits: ``(n, classes)`` (the arg-max is the
    class) or ``(n,)`` / ``(n, 1)`` for a binary classifier (class 1 where the logit is
    positive). It runs under ``tg.no_grad()``, a module in eval mode (restored after).
    Each region is outlined, the points are coloured by their true class (held-out
    points, if given, as triangles), and the title gives the accuracy.

    Parameters
    ----------
    model : Module or callable
        The classifier.
    X : array-like of shape (n, 2)
        The (training) points; with ``X_test`` they set the extent of the plane.
    y : array-like of int, shape (n,)
        Their classes, 0, 1, 2, ...; floats must hold whole numbers (``1.0``), anything
        else (``0.7``) is a ``ValueError``.
    X_test, y_test : array-like, optional
        Held-out points and their classes, drawn as triangles.
    resolution : int
        Grid points along each axis, at least 2.
    margin : float
        How far the plane extends beyond the data, as a fraction of its range.
    labels : tuple of str
        The names of the two features.
    title : str, optional
        Defaults to "Decision boundary" and the accuracy on each set of points.
    ax : matplotlib Axes, optional
        Draw into it instead of a new figure.
    path : str or Path, optional
        Where to save the figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, tensorgrad as tg
    >>> X = np.array([[-1.0, 0.0], [-2.0, 1.0], [1.0, 0.0], [2.0, -1.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> fig = tg.viz.plot_decision_boundary(lambda points: points[:, 0], X, y, resolution=50)
    >>> fig.axes[0].get_title()
    'Decision boundary (accuracy 100.0%)'
    """
    _check_resolution(resolution, "plot_decision_boundary")
    sets = [("", *_points(X, y))]
    if (X_test is None) != (y_test is None):
        raise ValueError("plot_decision_boundary: give both X_test and y_test, or neither")
    if X_test is not None:
        sets = [("training", *sets[0][1:]), ("test", *_points(X_test, y_test))]
    every = np.concatenate([points for _, points, _ in sets])
    low, high = every.min(axis=0), every.max(axis=0)
    pad = margin * np.where(high > low, high - low, 1.0)
    g1 = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    g2 = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    G1, G2 = np.meshgrid(g1, g2)
    regions = _predict(model, np.column_stack([G1.ravel(), G2.ravel()])).reshape(G1.shape)
    classes = int(max(max(c.max(initial=0) for _, _, c in sets), regions.max()) + 1)

    plt = pyplot()
    from matplotlib.colors import ListedColormap

    if ax is None:
        fig, ax = plt.subplots(figsize=(6.8, 5), layout="constrained")
    else:
        fig = ax.figure
    colours = [plt.get_cmap("tab10")(k % 10) for k in range(classes)]
    levels = np.arange(classes + 1) - 0.5
    ax.contourf(G1, G2, regions, levels=levels, cmap=ListedColormap(colours), alpha=0.25)
    for k in range(classes):  # each region's outline; shared edges coincide
        if 0 < (regions == k).sum() < regions.size:
            ax.contour(G1, G2, (regions == k).astype(float), levels=[0.5], colors="#333333",
                       linewidths=0.8)  # fmt: skip
    accuracies = []
    for name, points, classes_of in sets:
        accuracy = 100 * float((_predict(model, points) == classes_of).mean())
        accuracies.append(f"{name} accuracy {accuracy:.1f}%".strip())
        for k in range(classes):
            chosen = classes_of == k
            if chosen.any():
                ax.scatter(
                    points[chosen, 0], points[chosen, 1], color=colours[k],
                    s=36 if name == "test" else 14, marker="^" if name == "test" else "o",
                    edgecolors="black" if name == "test" else "white", linewidths=0.5,
                    label=f"class {k} ({name})" if name else f"class {k}",
                )  # fmt: skip
    title = title or f"Decision boundary ({', '.join(accuracies)})"
    ax.set(xlabel=labels[0], ylabel=labels[1], title=title)
    # Beside the axes, so that the legend hides no point.
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, borderaxespad=0)
    return finish(fig, path)


def _points(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X.data if isinstance(X, Tensor) else X, dtype=np.float64)
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
        raise ValueError(
            f"plot_decision_boundary: points must be (n, 2) and classes (n,), got {X.shape} "
            f"and {y.shape}"
        )
    return X, _classes(y)


def _classes(y: np.ndarray) -> np.ndarray:
    """Class labels as int64: integers, or floats that hold whole numbers (0.0, 1.0)."""
    if y.dtype.kind not in "biuf":
        raise TypeError(f"plot_decision_boundary: classes must be integer class labels, got "
                        f"dtype {y.dtype}; map them to 0, 1, 2, ... first")  # fmt: skip
    if y.dtype.kind == "f":
        fractional = ~np.isfinite(y) | (y != np.round(y))
        if fractional.any():
            raise ValueError(
                f"plot_decision_boundary: classes must be integer class labels (0, 1, ...), "
                f"got {float(y[fractional][0])}; pass the class of each point, not a probability "
                "or a regression target (e.g. (y > 0.5).astype(int))"
            )
    classes = y.astype(np.int64)
    if classes.size and classes.min() < 0:
        raise IndexError(f"plot_decision_boundary: class labels must be 0 or more, got "
                         f"{classes.min()}")  # fmt: skip
    return classes


def _predict(model: Callable[[Any], Any], points: np.ndarray) -> np.ndarray:
    """The class ``model`` predicts for each point (in eval mode, without a graph)."""
    was_training = getattr(model, "training", None)
    if was_training is not None:
        model.eval()  # type: ignore[attr-defined]
    try:
        with no_grad():
            out = model(points)
    finally:
        if was_training:
            model.train()  # type: ignore[attr-defined]
    logits = np.asarray(out.data if isinstance(out, Tensor) else out)
    if logits.ndim == 2 and logits.shape[1] > 1:
        return logits.argmax(axis=1)
    return (logits.reshape(len(points)) > 0).astype(np.int64)
