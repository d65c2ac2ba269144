"""Redraw the pictures of the guide by running the guide's own code.

Each page of ``docs/guide/`` (and ``docs/index.md``) saves its pictures in the current
folder with ``tg.viz`` or matplotlib, as a reader running it would. This script runs
every ``>>>`` example of a page, in order, inside a temporary folder, and copies the
PNGs it wrote into ``docs/images/``, so the pictures are exactly what the page's code
draws. They are stored with a palette of 256 colours, which keeps each file small.
Whether each example prints what the page says is the test suite's job (``make test``
runs every page as a doctest); here an example's output is not compared.

One picture comes from a benchmark rather than a page: ``gradient_strategies.png``
(``benchmarks/gradient_strategies.py``, several minutes). With ``--benchmarks`` the
figure that script last wrote to ``benchmarks/results/`` is copied too.

Run:  .venv/bin/python docs/make_images.py [--benchmarks] [PAGE.md ...]
"""

from __future__ import annotations

import argparse
import contextlib
import doctest
import io
import os
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
IMAGES = DOCS / "images"
BENCHMARK_RESULTS = DOCS.parent / "benchmarks" / "results"
# Pictures the guide shows that a benchmark draws, not a page.
BENCHMARK_FIGURES = ("gradient_strategies.png",)


def pages() -> list[Path]:
    """Every Markdown page that may draw pictures: the home page and the guide."""
    return [DOCS / "index.md", *sorted((DOCS / "guide").glob("*.md"))]


def examples(page: Path) -> list[doctest.Example]:
    """The ``>>>`` examples of ``page``, in the order a reader meets them."""
    return doctest.DocTestParser().get_examples(page.read_text(), name=page.name)


def run_page(page: Path, folder: Path) -> list[Path]:
    """Run every example of ``page`` inside ``folder``; return the PNGs it wrote there."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    previous = Path.cwd()
    os.chdir(folder)
    try:
        for example in examples(page):
            code = compile(example.source, f"{page.name}:{example.lineno + 1}", "exec")
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # what a page prints
                    exec(code, namespace)
            except Exception:
                if example.exc_msg is None:  # an error the page does not show is a bug
                    raise
    finally:
        os.chdir(previous)
        _close_figures()
    return sorted(folder.glob("*.png"))


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def store(png: Path, images: Path) -> Path:
    """Copy ``png`` into ``images`` with a 256-colour palette (a third of the size)."""
    from PIL import Image  # matplotlib's own dependency

    target = images / png.name
    with Image.open(png) as picture:
        picture.convert("RGB").quantize(colors=256).save(target, optimize=True)
    return target


def main(argv: list[str] | None = None, images: Path = IMAGES) -> list[Path]:
    """Redraw the pictures of the given pages (all of them by default); return their paths."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", type=Path, help="pages to run (default: all)")
    parser.add_argument(
        "--benchmarks", action="store_true", help="also copy the benchmark figures the guide shows"
    )
    args = parser.parse_args(argv)
    images.mkdir(parents=True, exist_ok=True)
    written = []
    for page in args.pages or pages():
        with tempfile.TemporaryDirectory() as folder:
            for png in run_page(page.resolve(), Path(folder)):
                written.append(store(png, images))
                print(f"{page.name}: {written[-1].relative_to(images.parent)}")
    if args.benchmarks:
        for name in BENCHMARK_FIGURES:
            source = BENCHMARK_RESULTS / name
            if not source.exists():
                sys.exit(f"{source} is missing: run benchmarks/{Path(name).stem}.py first")
            written.append(store(source, images))
            print(f"benchmark: {written[-1].relative_to(images.parent)}")
    return written


if __name__ == "__main__":
    main()
