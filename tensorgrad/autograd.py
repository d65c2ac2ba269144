"""tensorgrad's automatic differentiation: the engine's public names in one place.

The engine lives in modules that each own what they use (``docs/design.md`` draws which
imports which): :mod:`tensorgrad.modes` (grad mode, anomaly mode, the version clock),
:mod:`tensorgrad.function` (how an op is defined and applied: ``Function``, ``Node``),
:mod:`tensorgrad.xp` (the namespaces rules compute with) and :mod:`tensorgrad.backward`
(the walk and ``grad``). ``tg.autograd.grad`` is the one to know.
"""

from __future__ import annotations

from .backward import grad, run_backward
from .function import Function, Node
from .modes import detect_anomaly, enable_grad, is_grad_enabled, no_grad

# Engine helpers other modules and tests reach through this module, as before the split.
from .errors import builtin_kind as builtin_kind  # noqa: E402  isort: skip
from .function import _Spec as _Spec  # noqa: E402  isort: skip
from .modes import record_edit as record_edit, version as version  # noqa: E402  isort: skip

__all__ = [
    "Function", "Node", "detect_anomaly", "enable_grad", "grad", "is_grad_enabled", "no_grad",
    "run_backward",
]  # fmt: skip
