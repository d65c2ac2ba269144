"""A computational graph drawn with matplotlib alone, in layers from inputs to output.

Each node goes in the column given by its longest path to the output, so leaves sit
just before the op that first reads them; a few barycentre sweeps order each column to
keep edges short and uncrossed. Sizes are in inches and the labels are monospace, so
every box fits its text exactly at any resolution.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from ._figures import finish, pyplot
from ._graph_model import FILL, INK, Graph

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FONT_SIZE = 9.0  # points
CHAR = 0.602 * FONT_SIZE / 72  # advance of one DejaVu Sans Mono character, in inches
LINE = 1.3 * FONT_SIZE / 72
PAD_X, PAD_Y = 0.1, 0.07
GAP_X, GAP_Y = 0.55, 0.22  # between columns (room for the arrows) and between boxes
MARGIN = 0.15
LEGEND = "data: forward value    grad: d output / d node (the gradient flowing back)"
_SWEEPS = 4


def _columns(graph: Graph) -> list[list[int]]:
    """Node indices per column, ordered within each column to shorten the edges."""
    count = len(graph.nodes)
    inputs: list[list[int]] = [[] for _ in range(count)]
    consumers: list[list[int]] = [[] for _ in range(count)]
    for a, b in graph.edges:
        inputs[b].append(a)
        consumers[a].append(b)
    # Nodes come in data-flow order, so one reverse pass gives each node's longest path
    # to an output.
    to_output = [0] * count
    for i in range(count - 1, -1, -1):
        to_output[i] = max((to_output[c] + 1 for c in consumers[i]), default=0)
    depth = max(to_output, default=0)
    columns: list[list[int]] = [[] for _ in range(depth + 1)]
    for i in range(count):
        columns[depth - to_output[i]].append(i)
    position = {i: float(row) for column in columns for row, i in enumerate(column)}

    def reorder(column: list[int], neighbours: list[list[int]]) -> None:
        def centre(i: int) -> float:
            near = neighbours[i]
            return sum(position[n] for n in near) / len(near) if near else position[i]

        column.sort(key=centre)
        offset = (len(column) - 1) / 2
        for row, i in enumerate(column):
            position[i] = row - offset

    for _ in range(_SWEEPS):
        for column in columns[1:]:
            reorder(column, inputs)
        for column in reversed(columns[:-1]):
            reorder(column, consumers)
    return columns


def draw_layered(graph: Graph, path: str | Path | None, title: str | None) -> Figure:
    """The matplotlib drawing of ``graph``: boxes in columns, arrows from inputs to ops."""
    plt = pyplot()
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    columns = _columns(graph)
    widths = [max(len(text) for _, text in node.lines) * CHAR + 2 * PAD_X for node in graph.nodes]
    heights = [len(node.lines) * LINE + 2 * PAD_Y for node in graph.nodes]
    column_widths = [max(widths[i] for i in column) for column in columns]
    row = max(heights) + GAP_Y
    rows = max(len(column) for column in columns)
    header = [(line, size) for text, size in ((title, 11.0), (graph.caption, 9.0)) if text
              for line in text.split("\n")]  # fmt: skip
    header_height = sum(1.6 * size / 72 for _, size in header)
    footer_height = 1.8 * 8 / 72
    text_width = max([len(text) * 0.55 * size / 72 for text, size in header]
                     + [len(LEGEND) * 0.55 * 8 / 72])  # fmt: skip
    graph_width = sum(column_widths) + GAP_X * (len(columns) - 1)
    width = max(graph_width, text_width) + 2 * MARGIN
    height = rows * row + header_height + footer_height + 2 * MARGIN

    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()

    centre: dict[int, tuple[float, float]] = {}
    x = (width - graph_width) / 2
    middle = MARGIN + footer_height + rows * row / 2
    for column, column_width in zip(columns, column_widths):
        offset = (len(column) - 1) / 2
        for k, i in enumerate(column):
            centre[i] = (x + column_width / 2, middle + (offset - k) * row)
        x += column_width + GAP_X

    for i, node in enumerate(graph.nodes):
        cx, cy = centre[i]
        w, h = widths[i], heights[i]
        ax.add_patch(FancyBboxPatch(
            (cx - w / 2, cy - h / 2), w, h,
            boxstyle="square,pad=0" if node.kind == "leaf" else "round,pad=0,rounding_size=0.07",
            facecolor=FILL[node.kind], edgecolor="#333333",
            linewidth=2.0 if node.kind == "root" else 0.9,
            linestyle="--" if node.kind == "more" else "-", zorder=2,
        ))  # fmt: skip
        top = cy + h / 2 - PAD_Y
        for k, (kind, text) in enumerate(node.lines):
            ax.text(
                cx, top - (k + 0.5) * LINE, text, ha="center", va="center",
                family="monospace", fontsize=FONT_SIZE, color=INK[kind],
                weight="bold" if kind == "title" else "normal", zorder=3,
            )  # fmt: skip

    repeats: Counter[tuple[int, int]] = Counter()
    for a, b in graph.edges:
        (ax_, ay), (bx, by) = centre[a], centre[b]
        k = repeats[(a, b)]
        repeats[(a, b)] += 1
        bend = 0.0 if k == 0 else (0.3 if k % 2 else -0.3) * ((k + 1) // 2)  # x * x: two edges
        ax.add_patch(FancyArrowPatch(
            (ax_ + widths[a] / 2, ay), (bx - widths[b] / 2, by),
            arrowstyle="-|>", mutation_scale=11, linewidth=1.0, color="#555555",
            shrinkA=0, shrinkB=1, connectionstyle=f"arc3,rad={bend}", zorder=1,
        ))  # fmt: skip

    y = height - MARGIN
    for text, size in header:
        y -= 0.8 * size / 72
        ax.text(width / 2, y, text, ha="center", va="center", fontsize=size,
                color="#000000" if size > 10 else "#555555")  # fmt: skip
        y -= 0.8 * size / 72
    ax.text(width / 2, MARGIN + footer_height / 2, LEGEND, ha="center", va="center",
            fontsize=8, color="#555555")  # fmt: skip
    return finish(fig, path)
