"""Check a built documentation site: it loads nothing from another site, and every
``::: name`` directive of ``docs/reference/`` rendered its object.

``make docs`` builds the site with ``mkdocs build --strict`` (any warning fails) and then
runs this script on it, so the check needs MkDocs only where the site is built, not in
the test suite.

Run:  .venv/bin/python docs/check_site.py site
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent / "reference"
# Anything a page loads by itself: scripts, stylesheets, images, fonts, frames.
EXTERNAL = re.compile(
    r"""<(?:script|img|iframe|source)\b[^>]*\bsrc=["']?(?:https?:)?//"""
    r"""|<link\b[^>]*\bhref=["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def is_module(path: str) -> bool:
    """Whether the dotted ``path`` names a module (whose docstring a page shows as its
    introduction, with no heading of its own)."""
    try:
        importlib.import_module(path)
    except ImportError:
        return False
    return True


def problems(site: Path, reference: Path = REFERENCE) -> list[str]:
    """What is wrong with the site built in ``site``, one line each; empty if nothing.

    Examples
    --------
    >>> import tempfile
    >>> site = Path(tempfile.mkdtemp())
    >>> _ = (site / "index.html").write_text('<script src="https://cdn.example/x.js">')
    >>> problems(site, reference=site)
    ['index.html loads something from another site']
    """
    found = [
        f"{page.relative_to(site)} loads something from another site"
        for page in sorted([*site.rglob("*.html"), *site.rglob("*.css")])
        if EXTERNAL.search(page.read_text())
    ]
    for page in sorted(reference.glob("*.md")):
        html_page = site / "reference" / f"{page.stem}.html"
        html = html_page.read_text() if html_page.exists() else ""
        for path in re.findall(r"^::: ([\w.]+)", page.read_text(), flags=re.MULTILINE):
            if f'id="{path}"' not in html and not is_module(path):
                found.append(f"reference/{page.stem}.html: ::: {path} rendered nothing")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: check_site.py SITE_DIR (a folder mkdocs build wrote)", file=sys.stderr)
        return 2
    found = problems(Path(argv[0]))
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
