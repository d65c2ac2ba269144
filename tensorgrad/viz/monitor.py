"""Gradient flow through a model, layer by layer and step by step."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..tensor import Tensor
from ._figures import finish, pyplot

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["GradientMonitor"]

# A rule of thumb (Karpathy): updates around a thousandth of the weights learn well.
HEALTHY_UPDATE_RATIO = 1e-3


def _norm(arrays: Iterable[np.ndarray]) -> float:
    """The joint 2-norm of ``arrays``, as if they were one vector."""
    return float(np.sqrt(sum(float(np.vdot(a, a)) for a in arrays)))


class GradientMonitor:
    """Record per-layer gradient norms and update-to-weight ratios during training.

    Call :meth:`record` once per step, after ``optimizer.step()``: it stores, for each
    layer, the norm of the gradient (all its parameters' ``.grad`` taken as one vector),
    the norm of its weights, and ``||w - w_before|| / ||w||``, how much the weights
    moved since the previous record (or since the monitor was made). Called right
    after ``backward()`` instead, the ratio is that of the step before. Gradients that
    shrink layer after layer towards the input are vanishing; norms that grow step after
    step are exploding; :meth:`plot` shows both.

    Parameters
    ----------
    model : Module, mapping of str to Tensor, or iterable of (str, Tensor)
        What to watch: a module, its ``named_parameters()`` or such pairs. Bare tensors
        (``model.parameters()``) have no names to report layers by: a ``TypeError``.
    by : {"layer", "parameter"}
        Group the parameters by layer (the part of the name before the last dot, so
        ``0.weight`` and ``0.bias`` form layer ``0``) or watch each one on its own.

    Attributes
    ----------
    names : list of str
        The layers (or parameters), from input to output.
    labels : dict of str to str
        What the plot's legend calls each, e.g. ``"0: Linear(2->4)"`` for a module's layer.
    steps : list of int
        The step of each record.
    grad_norms, weight_norms, update_ratios : dict of str to list of float
        One value per record for each name; NaN where nothing was there to measure
        (no gradient yet, or weights of norm zero).

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> model = tg.nn.MLP([2, 4, 1])
    >>> optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    >>> monitor = tg.viz.GradientMonitor(model)
    >>> loss = model(tg.ones((3, 2))).sum()
    >>> loss.backward()
    >>> optimizer.step()
    >>> norms = monitor.record()
    >>> monitor.names, monitor.steps
    (['0', '2'], [1])
    >>> grads = [model[0].weight.grad, model[0].bias.grad]
    >>> bool(np.isclose(norms["0"], np.sqrt(sum((g ** 2).sum() for g in grads))))
    True
    """

    def __init__(
        self,
        model: Any,
        by: str = "layer",
    ) -> None:
        if by not in ("layer", "parameter"):
            raise ValueError(f"GradientMonitor: by must be 'layer' or 'parameter', got {by!r}")
        pairs = _named_parameters(model)
        if not pairs:
            raise ValueError("GradientMonitor: the model has no parameters to watch")
        self.groups: dict[str, list[Tensor]] = {}
        for name, parameter in pairs:
            key = (name.rpartition(".")[0] or name) if by == "layer" else name
            self.groups.setdefault(key, []).append(parameter)
        self.names = list(self.groups)
        # Legend entries: a module's layer shows its type, e.g. "0 Linear(2->8)".
        modules = dict(model.named_modules()) if hasattr(model, "named_modules") else {}
        self.labels = {name: _describe(name, modules.get(name)) for name in self.names}
        self.steps: list[int] = []
        self.grad_norms: dict[str, list[float]] = {name: [] for name in self.names}
        self.weight_norms: dict[str, list[float]] = {name: [] for name in self.names}
        self.update_ratios: dict[str, list[float]] = {name: [] for name in self.names}
        self._before = self._snapshot()

    def _snapshot(self) -> dict[str, list[np.ndarray]]:
        return {name: [p.data.copy() for p in group] for name, group in self.groups.items()}

    def record(self, step: int | None = None) -> dict[str, float]:
        """Measure every layer now; return this step's gradient norm per layer.

        ``step`` defaults to the number of records so far plus one.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> w = tg.tensor([3.0, 4.0], requires_grad=True)
        >>> monitor = tg.viz.GradientMonitor({"w": w})
        >>> (w * w).sum().backward()
        >>> monitor.record()
        {'w': 10.0}
        """
        self.steps.append(len(self.steps) + 1 if step is None else step)
        now = self._snapshot()
        norms = {}
        for name, group in self.groups.items():
            grads = [p.grad for p in group if p.grad is not None]
            norms[name] = _norm(grads) if grads else float("nan")
            weight = _norm(now[name])
            moved = _norm(a - b for a, b in zip(now[name], self._before[name]))
            self.grad_norms[name].append(norms[name])
            self.weight_norms[name].append(weight)
            self.update_ratios[name].append(moved / weight if weight > 0 else float("nan"))
        self._before = now
        return norms

    def summary(self) -> dict[str, float]:
        """The median gradient norm of each layer over the records (NaNs ignored).

        Examples
        --------
        >>> import tensorgrad as tg
        >>> w = tg.tensor([3.0, 4.0], requires_grad=True)
        >>> monitor = tg.viz.GradientMonitor({"w": w})
        >>> for _ in range(3):
        ...     (w * w).sum().backward()
        ...     _ = monitor.record()
        >>> monitor.summary()  # .grad accumulated: 10, 20, 30
        {'w': 20.0}
        """
        if not self.steps:
            raise RuntimeError("GradientMonitor.summary: nothing recorded yet; call record()")
        return {
            name: float(np.nanmedian(values)) if np.isfinite(values).any() else float("nan")
            for name, values in self.grad_norms.items()
        }

    def plot(self, path: str | Path | None = None, title: str | None = None) -> Figure:
        """Gradient norms and update ratios per layer over time, and the norm by depth.

        Three panels, log scale: each layer's gradient norm per step; each layer's
        update-to-weight ratio per step, against the 1e-3 rule of thumb (dashed); and
        the gradient norm of each layer against its depth at the first and the last
        record, where vanishing gradients show as a line falling towards the input.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import tensorgrad as tg
        >>> model = tg.nn.MLP([2, 4, 1])
        >>> monitor = tg.viz.GradientMonitor(model)
        >>> model(tg.ones((3, 2))).sum().backward()
        >>> _ = monitor.record()
        >>> fig = monitor.plot()
        >>> [len(ax.lines) for ax in fig.axes]
        [2, 3, 1]
        """
        if not self.steps:
            raise RuntimeError("GradientMonitor.plot: nothing recorded yet; call record()")
        plt = pyplot()
        fig, (over_time, ratios, by_depth) = plt.subplots(
            1, 3, figsize=(15, 4.2), layout="constrained"
        )
        colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(self.names)))
        marker = "." if len(self.steps) < 40 else ""
        for name, colour in zip(self.names, colours):
            over_time.plot(self.steps, _positive(self.grad_norms[name]), color=colour,
                           marker=marker, label=self.labels[name])  # fmt: skip
            ratios.plot(self.steps, _positive(self.update_ratios[name]), color=colour,
                        marker=marker)  # fmt: skip
        ratios.axhline(HEALTHY_UPDATE_RATIO, color="#888888", linestyle="--", linewidth=1,
                       label="1e-3 rule of thumb")  # fmt: skip
        depth = np.arange(1, len(self.names) + 1)
        for k, colour in ((0, "C3"), (-1, "C0"))[: min(len(self.steps), 2)]:
            norms = [self.grad_norms[name][k] for name in self.names]
            by_depth.plot(depth, _positive(norms), color=colour, marker="o",
                          label=f"step {self.steps[k]}")  # fmt: skip
        by_depth.set_xticks(depth, self.names, rotation=45 if len(self.names) > 6 else 0)
        over_time.set(title="Gradient norm per layer", xlabel="step", ylabel="||grad||")
        ratios.set(title="Update / weight ratio", xlabel="step", ylabel="||w - w_before|| / ||w||")
        by_depth.set(title="Gradient norm by depth", xlabel="layer (input to output)",
                     ylabel="||grad||")  # fmt: skip
        for ax in (over_time, ratios, by_depth):
            if any(np.isfinite(np.asarray(line.get_ydata(), float)).any() for line in ax.lines):
                ax.set_yscale("log")  # (a log scale with nothing on it would warn)
            ax.grid(alpha=0.3, which="both")
        ratios.legend(loc="best", fontsize=8)
        by_depth.legend(loc="best", fontsize=8)
        handles, labels = over_time.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right center", title="layer", fontsize=8)
        if title:
            fig.suptitle(title)
        return finish(fig, path)

    def __repr__(self) -> str:
        return f"GradientMonitor({len(self.names)} layers, {len(self.steps)} records)"


_WHAT_TO_PASS = "pass the model itself (a Module) or model.named_parameters()"


def _named_parameters(model: Any) -> list[tuple[str, Tensor]]:
    """The (name, parameter) pairs of a module, a mapping or an iterable of pairs."""
    if hasattr(model, "named_parameters"):
        return list(model.named_parameters())
    if isinstance(model, Mapping):
        items = list(model.items())
    elif isinstance(model, Tensor):
        raise TypeError(f"GradientMonitor: got one Tensor of shape {model.shape}, which has "
                        f"no name to report it by; {_WHAT_TO_PASS}, or {{'w': w}}")  # fmt: skip
    else:
        try:
            items = list(model)
        except TypeError:
            raise TypeError(
                f"GradientMonitor: got a {type(model).__name__}; {_WHAT_TO_PASS}"
            ) from None
    pairs = []
    for item in items:
        if isinstance(item, Tensor):
            raise TypeError(
                f"GradientMonitor: got a bare Tensor (shape {item.shape}) where a (name, "
                "parameter) pair was expected: model.parameters() gives no names to report "
                f"layers by; {_WHAT_TO_PASS}"
            )
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise TypeError(
                f"GradientMonitor: expected (name, parameter) pairs, got a "
                f"{type(item).__name__}; {_WHAT_TO_PASS}"
            )
        name, parameter = item
        if not isinstance(name, str):
            raise TypeError(
                f"GradientMonitor: parameter names must be strings, got {name!r} "
                f"({type(name).__name__}); {_WHAT_TO_PASS}"
            )
        if not isinstance(parameter, Tensor):
            raise TypeError(
                f"GradientMonitor: {name} is a {type(parameter).__name__}, not a Tensor; "
                f"{_WHAT_TO_PASS}"
            )
        pairs.append((name, parameter))
    return pairs


def _describe(name: str, module: Any) -> str:
    if module is None:
        return name
    sizes = getattr(module, "in_features", None), getattr(module, "out_features", None)
    shape = f"({sizes[0]}->{sizes[1]})" if None not in sizes else ""
    return f"{name}: {type(module).__name__}{shape}"


def _positive(values: Iterable[float]) -> np.ndarray:
    """NaN where a value cannot go on a log scale (zero, negative or missing)."""
    array = np.asarray(list(values), dtype=np.float64)
    return np.where(array > 0, array, np.nan)
