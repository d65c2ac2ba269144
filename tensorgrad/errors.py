"""How NumPy's refusals become tensorgrad's errors."""

from __future__ import annotations

import numpy as np  # noqa: F401  (the docstring example names np)


def builtin_kind(exc: Exception) -> type[Exception]:
    """The builtin class of one of NumPy's refusals: IndexError, TypeError or ValueError.

    Examples
    --------
    >>> builtin_kind(np.exceptions.AxisError("no such axis"))
    <class 'IndexError'>
    """
    return next(t for t in (IndexError, TypeError, ValueError) if isinstance(exc, t))
