"""Backpropagation you can see: values flow forward through a circuit, gradients flow back.

1. ``f = (x + y) * z`` at x = 1, y = 3, z = -3. Forward: ``p = x + y = 4`` and
   ``f = p * z = -12``. Backward, by the chain rule from ``df/df = 1``: the multiply
   gate gives ``df/dz = p = 4`` and ``df/dp = z = -3``, and the add gate hands that -3
   unchanged to both ``x`` and ``y``.
2. ``f = 2 * (x * y + max(z, w))`` at x = 3, y = -4, z = 2, w = -1, the three patterns
   of backward flow: the add gate *distributes* its gradient (2) to every input, the max
   gate *routes* it to the larger input only (z gets 2, w gets 0), and the multiply gate
   *swaps* its inputs (x gets y * 2 = -8, y gets x * 2 = 6).

Each graph is drawn with ``tg.viz.draw_graph`` before ``backward()`` (the picture
computes every node's gradient itself, without touching ``.grad``), then ``backward()``
fills ``.grad`` of the leaves, which the script checks against the picture. The DOT text
of each graph is saved too (``dot -Tsvg circuit.dot`` renders it with Graphviz).

Run:    .venv/bin/python examples/computational_graph.py [--out DIR]
Writes: DIR/circuit.png, DIR/circuit.dot, DIR/gates.png and DIR/gates.dot
        (DIR defaults to results/computational_graph/)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

import tensorgrad as tg

matplotlib.use("Agg")  # headless: writes files, needs no display


def draw(f: tg.Tensor, names: dict[str, tg.Tensor], title: str, path: Path) -> list[Path]:
    """Save the graph behind ``f`` as a PNG (matplotlib) and as DOT text; return both paths."""
    tg.viz.draw_graph(f, names=names, title=title, backend="matplotlib", path=path)
    dot_path = path.with_suffix(".dot")
    dot_path.write_text(tg.viz.to_dot(f, names=names))
    return [path, dot_path]


def circuit(out: Path) -> tuple[dict[str, float], list[Path]]:
    """``f = (x + y) * z``: draw it, backpropagate, and return the leaves' gradients."""
    x = tg.tensor(1.0, requires_grad=True)
    y = tg.tensor(3.0, requires_grad=True)
    z = tg.tensor(-3.0, requires_grad=True)
    p = x + y
    f = p * z
    paths = draw(
        f, {"x": x, "y": y, "z": z, "p": p, "f": f},
        "f = (x + y) * z at x = 1, y = 3, z = -3", out / "circuit.png",
    )  # fmt: skip
    f.backward()
    return {"p": p.item(), "f": f.item(), "x": x.grad.item(), "y": y.grad.item(),
            "z": z.grad.item()}, paths  # fmt: skip


def gates(out: Path) -> tuple[dict[str, float], list[Path]]:
    """``f = 2 (x y + max(z, w))``: add distributes, max routes, multiply swaps."""
    x, y, z, w = (tg.tensor(v, requires_grad=True) for v in (3.0, -4.0, 2.0, -1.0))
    q = x * y
    m = tg.maximum(z, w)
    s = q + m
    f = 2 * s
    paths = draw(
        f, {"x": x, "y": y, "z": z, "w": w, "q": q, "m": m, "s": s, "f": f},
        "f = 2 (x y + max(z, w)): add distributes, max routes, multiply swaps",
        out / "gates.png",
    )  # fmt: skip
    f.backward()
    return {name: t.grad.item() for name, t in zip("xyzw", (x, y, z, w))}, paths


def main(out: Path = Path("results/computational_graph"), quiet: bool = False) -> dict:
    """Draw both graphs into ``out``; return the values, gradients and paths written."""
    first, first_paths = circuit(out)
    second, second_paths = gates(out)
    if not quiet:
        print(f"f = (x + y) * z:  forward p = {first['p']:g}, f = {first['f']:g}")
        print(f"  backward df/dx = {first['x']:g}, df/dy = {first['y']:g}, "
              f"df/dz = {first['z']:g}")  # fmt: skip
        print("f = 2 (x y + max(z, w)):  "
              + ", ".join(f"df/d{name} = {value:g}" for name, value in second.items()))  # fmt: skip
        for path in first_paths + second_paths:
            print(f"saved {path.resolve()}")
    return {"circuit": first, "gates": second, "paths": first_paths + second_paths}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("results/computational_graph"))
    main(parser.parse_args().out)
