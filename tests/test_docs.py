"""The documentation: every public name is in the API reference, every picture the guide
shows is drawn by its own code, and the site builds with nothing fetched from outside.

(The guide's examples themselves run as doctests: pyproject's ``--doctest-glob=*.md``.)
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import tensorgrad as tg

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REFERENCE = DOCS / "reference"
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


def test_every_public_tensor_member_is_in_the_api_reference() -> None:
    # Tensor's own members are documented with the class (its directive lists them), the
    # operations it also has as methods once, as functions (tg.exp is x.exp), and the
    # plain attributes (grad, T) in the text of the page.
    found = directives()
    page = (REFERENCE / "tensorgrad.md").read_text()
    tensor_directive = re.search(r"^::: tensorgrad\.Tensor\n((?:    .*\n)*)", page, re.MULTILINE)
    assert tensor_directive, "docs/reference/tensorgrad.md has no ::: tensorgrad.Tensor"
    members = re.findall(r"^        - (\w+)$", tensor_directive.group(1), flags=re.MULTILINE)
    missing = [
        f"Tensor.{name}"
        for name in dir(tg.Tensor)
        if not name.startswith("_")
        and name not in members
        and f"`{name}`" not in page
        and not (hasattr(tg, name) and documented(tg, name, found))
    ]
    assert not missing, f"not in docs/reference/tensorgrad.md: {missing}"


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


def load_check_site() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_site", DOCS / "check_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_site_check_finds_outside_loads_and_unrendered_directives(tmp_path: Path) -> None:
    # make docs builds the site (mkdocs build --strict) and runs docs/check_site.py on it;
    # here the check itself is tested on a small site written by hand.
    check_site = load_check_site()
    reference, site = tmp_path / "reference", tmp_path / "site"
    reference.mkdir()
    (site / "reference").mkdir(parents=True)
    (reference / "ops.md").write_text("# Ops\n\n::: tensorgrad.exp\n\n::: tensorgrad.nn\n")
    page = site / "reference" / "ops.html"
    page.write_text('<h2 id="tensorgrad.exp">exp</h2><link href="assets/main.css">')
    assert check_site.problems(site, reference) == []
    (site / "style.css").write_text("@font-face { src: url('//fonts.example/a.woff') }")
    page.write_text('<h2>exp</h2><img src="https://example.org/logo.png">')
    assert check_site.problems(site, reference) == [
        "reference/ops.html loads something from another site",
        "style.css loads something from another site",
        "reference/ops.html: ::: tensorgrad.exp rendered nothing",
    ]
