"""Optimizer: what every optimizer shares, so that each one only states its update rule.

The base class parses parameter groups, checks options, keeps per-parameter state,
applies an L2 ``weight_decay`` to the gradient, writes each update back through
``Tensor.data`` (so the version counter sees it) and packs and restores ``state_dict``.
A subclass supplies its option rules, ``_init_state`` and ``_update``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from .._argument_checks import (
    Interval,
    Wording,
    as_python_scalar,
    check_flag,
    check_int,
    check_real,
    check_reals,
)
from ..autograd import enable_grad
from ..tensor import Tensor

ParamsT = Iterable[Tensor] | Iterable[Mapping[str, Any]]
# The allowed values of an option: an Interval (a real number), a tuple of Intervals (a
# tuple of numbers, such as Adam's betas) or ``bool`` (a flag).
Rule = Interval | tuple[Interval, ...] | type[bool]


class Optimizer:
    """Base class of the optimizers: parameter groups, state, ``step`` and ``state_dict``.

    ``params`` is an iterable of tensors, or of dicts (parameter groups) each holding a
    ``"params"`` list and any options that differ from ``defaults``. A subclass declares
    ``_rules`` (the allowed values of each option), ``_init_state(param, group)`` (the
    state of a parameter before its first step) and ``_update(param, grad, state, group)``,
    which writes the update into the parameter's array in place.

    A parameter that does not require grad (a frozen layer) may be passed, as in
    PyTorch: it gets no gradient, so ``step()`` leaves it alone until it is unfrozen.

    An option named ``weight_decay`` is an L2 penalty added to the gradient
    (``g <- g + weight_decay * W``), unless the group sets ``decoupled_weight_decay``,
    in which case the subclass applies it to the weights itself.

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> from tensorgrad import optim
    >>> w = tg.tensor([1.0, 2.0], requires_grad=True)
    >>> b = tg.tensor([0.0], requires_grad=True)
    >>> opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 1.0}], lr=0.1)
    >>> [g["lr"] for g in opt.param_groups]
    [0.1, 1.0]
    """

    _rules: ClassVar[dict[str, Rule]] = {}

    def __init__(self, params: ParamsT, defaults: Mapping[str, Any]) -> None:
        self.defaults: dict[str, Any] = self._checked_options(dict(defaults), "")
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        for group in self._as_groups(params):
            self.add_param_group(group)

    # --- parameter groups ---------------------------------------------------------------
    def _as_groups(self, params: Any) -> list[Mapping[str, Any]]:
        name = type(self).__name__
        if isinstance(params, Tensor | Mapping | set | frozenset) or not isinstance(
            params, Iterable
        ):
            raise TypeError(
                f"{name}: params must be an ordered iterable of tensors or of dicts "
                f"(parameter groups), got {type(params).__name__}; pass model.parameters() "
                "or a list such as [w, b]"
            )
        items = list(params)
        if not items:
            raise ValueError(
                f"{name}: got an empty parameter list; pass the tensors to optimize, "
                "e.g. model.parameters()"
            )
        dicts = [isinstance(item, Mapping) for item in items]
        if all(dicts):
            return items
        if any(dicts):
            raise TypeError(
                f"{name}: params mixes tensors and dicts; pass either tensors or parameter "
                "groups (dicts with a 'params' entry), not both"
            )
        return [{"params": items}]

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters with its own options (the rest from ``defaults``).

        Parameters
        ----------
        param_group : dict
            ``{"params": [tensors...], option: value, ...}``.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> from tensorgrad import optim
        >>> opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=0.1)
        >>> opt.add_param_group({"params": [tg.tensor([2.0], requires_grad=True)], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        name = type(self).__name__
        index = len(self.param_groups)
        if not isinstance(param_group, Mapping):
            raise TypeError(
                f"{name}: a parameter group must be a dict, got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{name}: parameter group {index} has no 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set | frozenset) or not isinstance(params, Iterable):
            raise TypeError(
                f"{name}: the 'params' of parameter group {index} must be a tensor or an "
                f"ordered iterable of tensors (not {type(params).__name__}), so that "
                "state_dict indices are reproducible"
            )
        params = list(params)
        seen = {id(p): g for g, group in enumerate(self.param_groups) for p in group["params"]}
        for j, p in enumerate(params):
            self._check_param(p, f"parameter {j} of group {index}")
            if id(p) in seen:
                other = "this group" if seen[id(p)] == index else f"group {seen[id(p)]}"
                raise ValueError(
                    f"{name}: parameter {j} of group {index} appears twice (it is already in "
                    f"{other}); each tensor may be optimized by one group only"
                )
            seen[id(p)] = index
        group = {**self.defaults, **param_group, "params": params}
        self.param_groups.append(self._checked_options(group, f" in parameter group {index}"))

    def _check_param(self, p: Any, label: str) -> None:
        name = type(self).__name__
        if not isinstance(p, Tensor):
            raise TypeError(
                f"{name}: {label} is a {type(p).__name__}, not a Tensor; optimizers update "
                "tensors created with requires_grad=True (such as nn.Parameter)"
            )
        if p.dtype.kind != "f":
            raise TypeError(
                f"{name}: {label} has dtype {p.dtype}; only floating-point tensors can be optimized"
            )
        if not p.is_leaf:
            raise ValueError(
                f"{name}: {label} is the result of an operation, not a leaf tensor; "
                "optimize the leaves it was computed from (or a .detach() copy with "
                "requires_grad=True)"
            )

    def _checked_options(self, group: dict[str, Any], where: str) -> dict[str, Any]:
        """``group`` with each option that has a rule checked and made a plain Python value."""
        owner = type(self).__name__
        for key, rule in self._rules.items():
            if key in group:
                group[key] = _check_option(group[key], key, owner, rule, where)
        self._check_combination(group, where)
        return group

    def _check_combination(self, group: Mapping[str, Any], where: str) -> None:
        """Raise ``ValueError`` for options that are valid alone but not together."""

    # --- the update -----------------------------------------------------------------------
    def _init_state(self, param: np.ndarray, group: Mapping[str, Any]) -> dict[str, Any]:
        """The state of ``param`` before its first step: an int named ``step`` counts
        steps, every other entry is an array shaped like ``param`` (``None`` for one made
        at the first step)."""
        return {}

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """Write one step of the update rule into ``param`` (and ``state``) in place."""
        raise NotImplementedError(f"{type(self).__name__} does not define its update rule")

    def _gradient(self, p: Tensor, group: Mapping[str, Any], label: Callable[..., str]) -> Any:
        grad = p.grad
        if not isinstance(grad, np.ndarray):
            grad = np.asarray(grad)
        if grad.shape != p.shape:
            raise ValueError(
                f"{type(self).__name__}.step: the gradient of {label()} has shape "
                f"{grad.shape} but the parameter has shape {p.shape}"
            )
        # Work in the parameter's dtype, so a float32 model stays float32.
        grad = grad.astype(p.dtype, copy=False)
        weight_decay = group.get("weight_decay", 0)
        if weight_decay != 0 and not group.get("decoupled_weight_decay", False):
            grad = grad + weight_decay * p.data
        return grad

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; those whose ``.grad`` is None are skipped.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss (run with gradients enabled).

        Returns
        -------
        The closure's loss, or ``None``.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> from tensorgrad import optim
        >>> w = tg.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w.data
        array([0.8, 1.6])
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for g, group in enumerate(self.param_groups):
            for j, p in enumerate(group["params"]):
                if p.grad is None:
                    continue
                grad = self._gradient(p, group, lambda j=j, g=g: f"parameter {j} of group {g}")
                state = self.state.get(p)
                if state is None:
                    state = self._init_state(p.data, group)
                    if state:
                        self.state[p] = state
                param = p.data
                if not param.flags.writeable:
                    # A tensor may wrap a read-only array (np.broadcast_to, a read-only
                    # memory map): update a copy instead of failing half-way.
                    param = param.copy()
                self._update(param, grad, state, group)
                # The rule wrote into the array; assigning it back records the edit, so a
                # graph that saved the old values refuses to backward through the new ones.
                p.data = param
        return loss

    def zero_grad(self) -> None:
        """Set ``.grad`` of every parameter to ``None``.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> from tensorgrad import optim
        >>> w = tg.tensor([1.0], requires_grad=True)
        >>> (2 * w).sum().backward()
        >>> opt = optim.SGD([w], lr=0.1)
        >>> opt.zero_grad()
        >>> w.grad is None
        True
        """
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    # --- state_dict -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as plain data, with parameters replaced by indices.

        ``{"state": {index: {name: array copy or step count}}, "param_groups": [{option:
        value, ..., "params": [indices]}]}``; indices number the parameters in group order,
        as PyTorch does. It holds only numbers, strings, bools, tuples and arrays.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> from tensorgrad import optim
        >>> w = tg.tensor([1.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step()
        >>> opt.state_dict()["state"]
        {0: {'momentum_buffer': array([2.])}}
        >>> opt.state_dict()["param_groups"][0]["params"]
        [0]
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {
                k: v.copy() if isinstance(v, np.ndarray) else v for k, v in entry.items()
            }
            for p, entry in self.state.items()
        }
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore options and state saved by ``state_dict()`` of an equal optimizer.

        The number of groups, the size of each group and the shape of every state array
        must match this optimizer's (``ValueError`` naming the mismatch otherwise). Arrays
        are copied and cast to their parameter's dtype. Nothing changes unless the whole
        state_dict is valid.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> from tensorgrad import optim
        >>> w = tg.tensor([1.0], requires_grad=True)
        >>> opt = optim.Adam([w], lr=0.5)
        >>> fresh = optim.Adam([w])
        >>> fresh.load_state_dict(opt.state_dict())
        >>> fresh.param_groups[0]["lr"]
        0.5
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        keys = set(state_dict)
        if keys != {"state", "param_groups"}:
            raise ValueError(
                f"{name}: a state_dict has the keys 'param_groups' and 'state'; missing "
                f"{sorted(map(str, {'state', 'param_groups'} - keys))}, unexpected "
                f"{sorted(map(str, keys - {'state', 'param_groups'}))}"
            )
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, list | tuple) or not all(
            isinstance(g, Mapping) for g in saved_groups
        ):
            raise ValueError(f"{name}: 'param_groups' must be a list of dicts")
        if not isinstance(saved_state, Mapping):
            raise ValueError(f"{name}: 'state' must be a dict from parameter index to dict")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: the state_dict has {len(saved_groups)} parameter group(s) but "
                f"this optimizer has {len(self.param_groups)}"
            )
        by_index: dict[int, tuple[Tensor, dict[str, Any]]] = {}
        groups = []
        for g, (saved, current) in enumerate(zip(saved_groups, self.param_groups)):
            indices = saved.get("params")
            if isinstance(indices, np.ndarray):
                indices = indices.tolist()
            if not isinstance(indices, list | tuple):
                raise ValueError(f"{name}: parameter group {g} has no 'params' list of indices")
            if len(indices) != len(current["params"]):
                raise ValueError(
                    f"{name}: parameter group {g} has {len(indices)} parameter(s) in the "
                    f"state_dict but {len(current['params'])} in this optimizer"
                )
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                raise ValueError(
                    f"{name}: parameter group {g} of the state_dict lacks the option(s) "
                    f"{missing}; was it saved by another kind of optimizer?"
                )
            options = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            group = {**options, "params": current["params"]}
            self._checked_options(group, f" in parameter group {g} of the state_dict")
            groups.append(group)
            for key, p in zip(indices, current["params"]):
                i = _parameter_index(key)
                if i in by_index:
                    raise ValueError(f"{name}: parameter index {i} appears in two places")
                by_index[i] = (p, group)
        state = {}
        for key, entry in saved_state.items():
            i = _parameter_index(key)
            if i not in by_index:
                raise ValueError(
                    f"{name}: the state_dict has state for parameter {i}, which none of its "
                    "parameter groups lists"
                )
            p, group = by_index[i]
            state[p] = self._restored_state(p, group, entry, f"{name}: parameter {i}")
        self.param_groups = groups
        self.state = state

    def _restored_state(
        self, p: Tensor, group: Mapping[str, Any], entry: Any, label: str
    ) -> dict[str, Any]:
        if not isinstance(entry, Mapping):
            raise ValueError(f"{label}: its state must be a dict, got {type(entry).__name__}")
        template = self._init_state(p.data, group)
        if set(entry) != set(template):
            raise ValueError(
                f"{label}: its state has the entries {sorted(map(str, entry))} but "
                f"{type(self).__name__} with these options keeps {sorted(template)}"
            )
        restored: dict[str, Any] = {}
        for key, value in entry.items():
            if key == "step":
                restored[key] = check_int(value, "step", label, 0, wording=Wording.EXPECTED)
            elif value is None and template[key] is None:
                restored[key] = None
            else:
                arr = np.asarray(value)
                if arr.dtype.kind not in "fiu":
                    raise ValueError(f"{label}: state {key!r} has non-numeric dtype {arr.dtype}")
                if arr.shape != p.shape:
                    raise ValueError(
                        f"{label}: state {key!r} has shape {arr.shape} but the parameter "
                        f"has shape {p.shape}"
                    )
                restored[key] = arr.astype(p.dtype, copy=True)
        return restored

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for g, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {g}")
            lines += [f"    {k}: {v!r}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


def _check_option(value: Any, name: str, owner: str, rule: Rule, context: str) -> Any:
    """``value`` checked against ``rule`` and made a plain Python value; ``context`` says
    where the option came from (``" in parameter group 1"``)."""
    if rule is bool:
        return check_flag(value, name, owner, context=context)
    if isinstance(rule, tuple):
        return check_reals(value, name, owner, rule, wording=Wording.EXPECTED, context=context)
    return check_real(value, name, owner, rule, wording=Wording.EXPECTED, context=context)


def _parameter_index(key: Any) -> int:
    """A parameter index from a state_dict: an int, or its decimal string (savers that
    flatten nested dicts into string keys give it back that way).

    Examples
    --------
    >>> import numpy as np
    >>> _parameter_index("3"), _parameter_index(np.int64(4))
    (3, 4)
    """
    key = as_python_scalar(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    if isinstance(key, bool) or not isinstance(key, int) or key < 0:
        raise ValueError(f"load_state_dict: {key!r} is not a parameter index")
    return key
