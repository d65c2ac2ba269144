"""matplotlib, imported only when a picture is made, and how every plot is saved."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

INSTALL_HINT = "pip install tensorgrad[plot]"


def pyplot() -> Any:
    """``matplotlib.pyplot``, or an ``ImportError`` that says how to install it.

    matplotlib picks a headless backend by itself when there is no display; scripts
    that must never open a window call ``matplotlib.use("Agg")`` first.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"tensorgrad.viz needs matplotlib to draw plots; install it with `{INSTALL_HINT}` "
            "(or `pip install matplotlib`). tg.viz.to_dot works without it."
        ) from error
    return plt


def finish(fig: Figure, path: str | Path | None, dpi: int = 120) -> Figure:
    """Save ``fig`` to ``path`` (format from the suffix, folders made) and release it from
    pyplot, so that scripts drawing many figures hold no memory; without ``path`` the
    figure stays open for ``plt.show()`` or a notebook."""
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
        pyplot().close(fig)
    return fig
