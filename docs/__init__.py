"""Not a library: this file only makes ``docs`` a package, so that pytest imports
``docs/conftest.py`` as ``docs.conftest`` and tells it apart from ``tests/conftest.py``."""
