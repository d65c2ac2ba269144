"""The documentation: every public name is in the API reference, every picture the guide
shows is drawn by its own code, and the site builds with nothing fetched from outside.

(The guide's examples themselves run as doctests: pyproject's ``--doctest-glob=*.md``.)
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import tensorgrad as tg

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REFERENCE = DOCS / "reference"
SPEC_SURFACE = ROOT.parent / "shared" / "tools" / "spec_surface.py"
# Every module whose public names the reference must cover.
MODULES = [
    "tensorgrad", "tensorgrad.nn", "tensorgrad.nn.functional", "tensorgrad.nn.init",
    "tensorgrad.nn.utils", "tensorgrad.optim", "tensorgrad.optim.lr_scheduler",
    "tensorgrad.data", "tensorgrad.viz",
]  # fmt: skip


def resolve(path: str) -> Any:
    """The object a ``::: dotted.path`` directive documents."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)


def directives() -> dict[str, Any]:
    """Every ``::: path`` of the reference pages, with the object it documents."""
    found = {}
    for page in sorted(REFERENCE.glob("*.md")):
        for path in re.findall(r"^::: ([\w.]+)", page.read_text(), flags=re.MULTILINE):
            found[path] = resolve(path)
    return found


def documented(module: ModuleType, name: str, found: dict[str, Any]) -> bool:
    """Whether ``module.name`` has a directive: a path ending in ``name`` that resolves to
    the same object (the reference may document it where it is defined, or under another
    module that exports it), or, for a submodule, a directive inside it."""
    obj = getattr(module, name)
    if inspect.ismodule(obj):
        return any(path.startswith(obj.__name__) for path in found)
    return any(path.rsplit(".", 1)[-1] == name and o is obj for path, o in found.items())


@pytest.mark.parametrize("module_name", MODULES)
def test_every_name_in_all_is_in_the_api_reference(module_name: str) -> None:
    module = importlib.import_module(module_name)
    found = directives()
    missing = [name for name in module.__all__ if not documented(module, name, found)]
    assert not missing, f"{module_name}: not in docs/reference/*.md: {missing}"


def test_every_spec_name_is_in_the_api_reference() -> None:
    if not SPEC_SURFACE.exists():
        pytest.skip(f"{SPEC_SURFACE} is not beside the repository")
    spec = importlib.util.spec_from_file_location("spec_surface", SPEC_SURFACE)
    surface = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(surface)
    found = directives()
    missing = [
        f"{module_name}.{name}"
        for module_name, names in surface.NAMES.items()
        for name in names.split()
        if not documented(importlib.import_module(module_name), name, found)
    ]
    # Tensor's own members are documented with the class (its directive lists them), the
    # operations it also has as methods once, as functions (tg.exp is x.exp), and the
    # plain attributes (grad, T) in the text of the page.
    page = (REFERENCE / "tensorgrad.md").read_text()
    tensor_directive = re.search(r"^::: tensorgrad\.Tensor\n((?:    .*\n)*)", page, re.MULTILINE)
    assert tensor_directive, "docs/reference/tensorgrad.md has no ::: tensorgrad.Tensor"
    members = re.findall(r"^        - (\w+)$", tensor_directive.group(1), flags=re.MULTILINE)
    missing += [
        f"Tensor.{name}"
        for name in surface.TENSOR_METHODS.split()
        if name not in members
        and f"`{name}`" not in page
        and not (hasattr(tg, name) and documented(tg, name, found))
    ]
    assert not missing, f"not in docs/reference/*.md: {missing}"


def test_every_reference_and_guide_page_is_in_the_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    pages = [p.relative_to(DOCS).as_posix() for p in DOCS.glob("*.md")]
    pages += [p.relative_to(DOCS).as_posix() for p in DOCS.glob("*/*.md")]
    pages = [p for p in pages if not p.startswith("performance/")]  # snippets, not pages
    missing = [page for page in pages if f": {page}" not in config]
    assert not missing, f"pages missing from mkdocs.yml's nav: {missing}"


def image_references() -> dict[Path, list[str]]:
    """Each Markdown page and the PNGs of docs/images/ it shows."""
    pages = [DOCS / "index.md", *sorted((DOCS / "guide").glob("*.md"))]
    return {page: re.findall(r"\(\S*images/([\w.-]+\.png)\)", page.read_text()) for page in pages}


def load_make_images() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_images", DOCS / "make_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_picture_is_drawn_by_the_code_of_the_page_that_shows_it() -> None:
    make_images = load_make_images()
    shown = set()
    for page, names in image_references().items():
        code = "".join(example.source for example in make_images.examples(page))
        for name in names:
            assert (DOCS / "images" / name).exists(), f"{page.name} shows missing {name}"
            if name not in make_images.BENCHMARK_FIGURES:
                assert f'"{name}"' in code, f"{page.name} shows {name} but its code never saves it"
            shown.add(name)
    unused = sorted(p.name for p in (DOCS / "images").glob("*.png") if p.name not in shown)
    assert not unused, f"docs/images/ holds pictures no page shows: {unused}"


def test_make_images_redraws_a_page_from_its_own_code(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    make_images = load_make_images()
    page = DOCS / "guide" / "chain-rule.md"
    written = make_images.main([str(page)], images=tmp_path)
    assert sorted(p.name for p in written) == sorted(image_references()[page])
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# Anything a page loads by itself: scripts, stylesheets, images, fonts, frames.
EXTERNAL = re.compile(
    r"""<(?:script|img|iframe|source)\b[^>]*\bsrc=["']?(?:https?:)?//"""
    r"""|<link\b[^>]*\bhref=["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def test_the_site_builds_strictly_and_loads_nothing_from_outside(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or "mkdocs"
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    site = tmp_path / "site"
    html = list(site.rglob("*.html")) + list(site.rglob("*.css"))
    outside = [str(p.relative_to(site)) for p in html if EXTERNAL.search(p.read_text())]
    assert not outside, f"pages that load something from another site: {outside}"
    # Every directive was rendered: its object has an anchor on the page.
    absent = []
    for page in REFERENCE.glob("*.md"):
        html = (site / "reference" / f"{page.stem}.html").read_text()
        for path in re.findall(r"^::: ([\w.]+)", page.read_text(), flags=re.MULTILINE):
            # (a module's own docstring is shown as the page's introduction, no heading)
            if f'id="{path}"' not in html and not inspect.ismodule(resolve(path)):
                absent.append(path)
    assert not absent, f"directives that rendered nothing: {absent}"
