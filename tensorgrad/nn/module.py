"""Module and Parameter: the containers that find a model's trainable tensors for you.

A ``Module`` registers every ``Parameter`` and sub-``Module`` assigned to it as an
attribute, so ``model.parameters()`` can hand an optimizer everything to train and
``state_dict()`` can name every weight for a checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from ..tensor import Tensor, as_array


class Parameter(Tensor):
    """A tensor that a ``Module`` registers as trainable; it requires grad by default.

    ``Parameter(data)`` wraps ``data`` like ``Tensor(data)`` does (a NumPy array is not
    copied); the data must be floating point.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> w = tg.nn.Parameter([[1.0, 2.0]])
    >>> w.requires_grad, w.is_leaf
    (True, True)
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped: keys the model has but the state
    lacks, and keys the state has but the model lacks.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.nn.Linear(2, 1).load_state_dict({"weight": tg.zeros((2, 1))}, strict=False)
    IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
    """

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer and model: subclass it, assign layers, write ``forward``.

    Parameters and sub-modules assigned as attributes are registered in the order they are
    assigned; that order is the order of ``parameters()`` and of ``state_dict()``. As in
    PyTorch, a registered name takes only a ``Parameter``, a ``Module`` or ``None``
    (which unregisters it); anything else there, a plain tensor included, is a
    ``TypeError``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> class Affine(tg.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = tg.nn.Parameter([2.0])
    ...         self.shift = tg.nn.Parameter([1.0])
    ...     def forward(self, x):
    ...         return x * self.scale + self.shift
    >>> m = Affine()
    >>> m(tg.tensor([3.0]))
    tensor([7.], grad_fn=<add>)
    >>> [name for name, _ in m.named_parameters()]
    ['scale', 'shift']
    """

    training: bool
    _parameters: dict[str, Parameter]  # the registries, by name (see __setattr__)
    _modules: dict[str, Module]

    def __init__(self) -> None:
        # Kept in the instance dict as well, so `self.weight` in forward is a plain
        # attribute lookup rather than a __getattr__ fallback on every call.
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        # The two registries, set together by __init__ (both None before it ran).
        registries: tuple[Any, Any] = (
            self.__dict__.get("_parameters"),
            self.__dict__.get("_modules"),
        )
        if registries[0] is None:
            if not isinstance(value, Parameter | Module):  # a plain setting needs no registry
                object.__setattr__(self, name, value)
                return
            raise RuntimeError(
                f"{type(self).__name__}: cannot assign attribute {name!r} before "
                "Module.__init__() ran; call super().__init__() first in __init__"
            )
        params, modules = registries
        # A parameter or module that replaces one of its kind keeps its place (the order
        # of parameters() and state_dict()), as in PyTorch; None unregisters it. Anything
        # else over a registered name is refused: a plain tensor there would silently
        # drop out of parameters(), state_dict() and the optimizer.
        if isinstance(value, Parameter):
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            modules[name] = value
        elif value is None:
            params.pop(name, None)
            modules.pop(name, None)
        elif name in params:
            raise TypeError(
                f"{type(self).__name__}: cannot assign {type(value).__name__} as parameter "
                f"{name!r} (nn.Parameter or None expected); wrap it: nn.Parameter(value)"
            )
        elif name in modules:
            raise TypeError(
                f"{type(self).__name__}: cannot assign {type(value).__name__} as child "
                f"module {name!r} (nn.Module or None expected); delete it first "
                f"(del module.{name}) to store something else under that name"
            )
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; every subclass defines it, and ``module(x)`` calls it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --- walking the tree -------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Every module in the tree, this one first, with its dotted name.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> [name for name, _ in tg.nn.MLP([2, 3, 1]).named_modules()]
        ['', '0', '1', '2']
        """
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module._modules.items()
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """Every module in the tree, this one first.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> [type(m).__name__ for m in tg.nn.MLP([2, 3, 1]).modules()]
        ['MLP', 'Linear', 'ReLU', 'Linear']
        """
        return (module for _, module in self.named_modules())

    def children(self) -> Iterator[Module]:
        """The direct sub-modules, in the order they were assigned; one held under two
        names appears once.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> len(list(tg.nn.MLP([2, 3, 1]).children()))
        3
        """
        seen: set[int] = set()
        for module in self._modules.values():
            if id(module) not in seen:
                seen.add(id(module))
                yield module

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """Every parameter in the tree with its dotted name; a shared one appears once.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> [(n, p.shape) for n, p in tg.nn.Linear(3, 2).named_parameters()]
        [('weight', (3, 2)), ('bias', (2,))]
        """
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, param in module._parameters.items():
                if id(param) not in seen:
                    seen.add(id(param))
                    yield (f"{prefix}.{name}" if prefix else name), param

    def parameters(self) -> Iterator[Parameter]:
        """Every parameter in the tree, for an optimizer.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> sum(p.size for p in tg.nn.MLP([4, 8, 3]).parameters())
        67
        """
        return (param for _, param in self.named_parameters())

    # --- training state ---------------------------------------------------------------
    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to ``None``.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> layer = tg.nn.Linear(2, 1)
        >>> layer(tg.ones((1, 2))).sum().backward()
        >>> layer.zero_grad()
        >>> layer.weight.grad is None
        True
        """
        for param in self.parameters():
            param.grad = None

    def train(self, mode: bool = True) -> Module:
        """Put this module and every sub-module in training mode (or evaluation mode).

        Examples
        --------
        >>> import tensorgrad as tg
        >>> tg.nn.Dropout(0.5).train().training
        True
        """
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as ``train(False)``; dropout becomes the identity.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> tg.nn.Dropout(0.5).eval().training
        False
        """
        return self.train(False)

    # --- checkpoints ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Tensor]:
        """A copy of every parameter, keyed by dotted name, for ``tg.save``.

        The values are detached copies, so training on does not change a saved state.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> list(tg.nn.MLP([2, 3, 1]).state_dict())
        ['0.weight', '0.bias', '2.weight', '2.bias']
        """
        return {name: Tensor(param.data.copy()) for name, param in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy the values in ``state`` into this module's parameters.

        With ``strict`` (the default) the keys must match exactly; shapes must always
        match. The values may be tensors or arrays; they are copied and cast to each
        parameter's dtype.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> a, b = tg.nn.Linear(2, 1), tg.nn.Linear(2, 1)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> bool((a.weight.data == b.weight.data).all())
        True
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of names to arrays, got "
                f"{type(state).__name__}"
            )
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if strict and (missing or unexpected):
            raise ValueError(
                f"load_state_dict: the state does not fit {type(self).__name__}: missing keys "
                f"{missing}, unexpected keys {unexpected}; pass strict=False to load the "
                "keys that match"
            )
        updates = []
        for name, param in params.items():
            if name not in state:
                continue
            value = as_array(state[name])
            if value.shape != param.shape:
                raise ValueError(
                    f"load_state_dict: {name!r} has shape {value.shape} in the state but "
                    f"{param.shape} in the model; was the state saved from another "
                    "architecture?"
                )
            if value.dtype.kind not in "iuf":
                raise TypeError(
                    f"load_state_dict: {name!r} has dtype {value.dtype} in the state; "
                    f"parameters hold numbers ({param.dtype})"
                )
            updates.append((param, value.astype(param.dtype)))  # a copy
        # Checked and cast in full before the first write, so a failed load changes nothing.
        for param, value in updates:
            param.data = value
        return IncompatibleKeys(missing, unexpected)

    # --- printing ---------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The layer's own settings, shown inside its ``repr`` (empty by default).

        Examples
        --------
        >>> import tensorgrad as tg
        >>> tg.nn.Linear(3, 2).extra_repr()
        'in_features=3, out_features=2, bias=True'
        """
        return ""

    def __repr__(self) -> str:
        lines = [
            f"  ({name}): " + repr(module).replace("\n", "\n  ")
            for name, module in self._modules.items()
        ]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        head = self.extra_repr()
        body = ([f"  {head}"] if head else []) + lines
        return f"{type(self).__name__}(\n" + "\n".join(body) + "\n)"
