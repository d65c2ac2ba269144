"""Pictures of what the engine does: graphs, training curves, gradient flow, loss surfaces.

matplotlib is imported only when a picture is made (``pip install tensorgrad[plot]``);
``to_dot`` needs nothing. Scripts that must not open a window call
``matplotlib.use("Agg")`` before drawing. Every plotting function returns its
matplotlib figure and saves it when given a ``path``.

>>> import tensorgrad as tg
>>> x = tg.tensor(3.0, requires_grad=True)
>>> print(tg.viz.to_dot(x * 2).count("->"))
1
"""

from .graph import draw_graph, to_dot
from .history import History, plot_history
from .monitor import GradientMonitor
from .surfaces import plot_decision_boundary, plot_loss_surface

__all__ = [
    "GradientMonitor", "History", "draw_graph", "plot_decision_boundary", "plot_history",
    "plot_loss_surface", "to_dot",
]  # fmt: skip
