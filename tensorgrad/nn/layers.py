"""Layers: Linear, activations, Dropout, the containers Sequential and ModuleList, MLP."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import numpy as np

from .._argument_checks import UNIT, check_choice, check_int, check_real
from ..creation import as_generator
from ..ops import leaky_relu, relu, sigmoid, tanh
from ..tensor import Tensor, as_array, get_default_dtype
from .functional import dropout
from .init import kaiming_uniform_, xavier_uniform_
from .module import Module, Parameter

__all__ = [
    "Dropout",
    "LeakyReLU",
    "Linear",
    "MLP",
    "ModuleList",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
]

# Each scheme under both of its names: its authors' (He, Glorot) and PyTorch's.
_INITS: dict[str, Callable[..., Tensor]] = {
    "kaiming": kaiming_uniform_, "he": kaiming_uniform_,
    "xavier": xavier_uniform_, "glorot": xavier_uniform_,
}  # fmt: skip
# Sequential's append, indexing, len and iteration serve ModuleList too: typed for both.
_ModuleT = TypeVar("_ModuleT", bound=Module)


def _initializer(init: str, where: str) -> Callable[..., Tensor]:
    """The function of the scheme ``init`` names, in any case (``"He"``, ``"kaiming"``)."""
    return check_choice(
        init, "init", where, _INITS, ignore_case=True,
        hint="'kaiming' (or 'he') for ReLU layers, 'xavier' (or 'glorot') for tanh and sigmoid",
    )  # fmt: skip


class Linear(Module):
    """``y = x @ weight + bias`` with ``weight`` of shape ``(in_features, out_features)``.

    Initialisation: with ``init="kaiming"`` (or ``"he"``; the default, He et al. 2015)
    the weight is drawn from ``U(-sqrt(6 / in_features), sqrt(6 / in_features))``, which
    keeps the variance of activations steady through ReLU layers; with ``init="xavier"``
    (or ``"glorot"``; Glorot and Bengio 2010) from ``U(-a, a)``,
    ``a = sqrt(6 / (in_features + out_features))``, suited to tanh and sigmoid. The names
    are case-insensitive. The bias starts at zero. ``rng`` is an int seed, a
    ``numpy.random.Generator`` or ``None`` (tensorgrad's global generator, see
    ``tg.manual_seed``); ``dtype`` defaults to ``tg.get_default_dtype()``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> layer = tg.nn.Linear(3, 2)
    >>> layer(tg.ones((4, 3))).shape
    (4, 2)
    >>> layer
    Linear(in_features=3, out_features=2, bias=True)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: int | np.random.Generator | None = None,
        dtype: Any = None,
        init: str = "kaiming",
    ) -> None:
        super().__init__()
        in_features = check_int(in_features, "in_features", "Linear")
        out_features = check_int(out_features, "out_features", "Linear")
        if in_features < 1 or out_features < 1:
            raise ValueError(
                f"Linear: in_features and out_features must be positive, got "
                f"({in_features}, {out_features})"
            )
        initializer = _initializer(init, "Linear")
        self.in_features, self.out_features = in_features, out_features
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.zeros((in_features, out_features), dtype=dtype))
        initializer(self.weight, rng=as_generator(rng, "Linear"))
        self.bias = Parameter(np.zeros(out_features, dtype=dtype)) if bias else None

    def forward(self, x: Any) -> Tensor:
        if getattr(x, "dtype", None) is not self.weight.dtype:
            x = self._checked_input(x)
        out = x @ self.weight
        return out if self.bias is None else out + self.bias

    def _checked_input(self, x: Any) -> Any:
        """``x``, refused if it would widen the layer's dtype: float64 data in a float32
        model would silently compute in float64, at twice the cost. Python numbers and
        lists take the layer's dtype, as a Python scalar never widens a float32 tensor."""
        dtype = self.weight.dtype
        if not isinstance(x, Tensor | np.ndarray):
            return as_array(x, dtype)
        widened = np.result_type(x.dtype, dtype)
        if widened != dtype:
            raise TypeError(
                f"{self!r}: the input is {x.dtype} but the layer's parameters are {dtype}, "
                f"so it would compute and return {widened} (slower, and not what the model "
                f"was made for). Convert the input first, e.g. X.astype(np.{dtype}) (the "
                f"tg.data loaders take dtype=np.{dtype}), or make the model in {widened} "
                f"(dtype=np.{widened})"
            )
        return x

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class ReLU(Module):
    """``max(x, 0)`` as a layer.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.nn.ReLU()(tg.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def forward(self, x: Any) -> Tensor:
        return relu(x)


class Tanh(Module):
    """``tanh(x)`` as a layer.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.nn.Tanh()(tg.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, x: Any) -> Tensor:
        return tanh(x)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` as a layer.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.nn.Sigmoid()(tg.tensor([0.0]))
    tensor([0.5])
    """

    def forward(self, x: Any) -> Tensor:
        return sigmoid(x)


class LeakyReLU(Module):
    """``x`` where positive, ``negative_slope * x`` elsewhere, as a layer.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.nn.LeakyReLU(0.1)(tg.tensor([-1.0, 2.0]))
    tensor([-0.1,  2. ])
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Tensor:
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by
    ``1 / (1 - p)``; in evaluation mode (``model.eval()``), the identity.

    ``rng`` is an int seed (the layer makes one generator from it, so its masks differ
    from call to call but repeat from run to run), a ``numpy.random.Generator``, or
    ``None``: tensorgrad's global generator (``tg.manual_seed``) at each call.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> layer = tg.nn.Dropout(0.5).eval()
    >>> layer(tg.ones((3,)))
    tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, rng: int | np.random.Generator | None = None) -> None:
        super().__init__()
        self.p = check_real(p, "p", "Dropout", UNIT)
        self.rng = None if rng is None else as_generator(rng, "Dropout")

    def forward(self, x: Any) -> Any:
        return dropout(x, self.p, self.training, self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Modules applied one after another; ``model[i]`` is the i-th.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> model = tg.nn.Sequential(tg.nn.Linear(2, 4), tg.nn.ReLU(), tg.nn.Linear(4, 1))
    >>> model(tg.ones((5, 2))).shape
    (5, 1)
    >>> type(model[1]).__name__, len(model)
    ('ReLU', 3)
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self: _ModuleT, module: Module) -> _ModuleT:
        """Add ``module`` at the end.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> len(tg.nn.Sequential().append(tg.nn.ReLU()))
        1
        """
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}: expected a Module, got {type(module).__name__}"
            )
        setattr(self, str(len(self._modules)), module)
        return self

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self: Module, index: int | slice) -> Module:
        modules = list(self._modules.values())
        if isinstance(index, slice):  # a container of the same kind, as a list slice is
            if isinstance(self, Sequential):
                return Sequential(*modules[index])
            return ModuleList(modules[index])
        try:
            return modules[index]
        except IndexError:
            raise IndexError(
                f"{type(self).__name__}: index {index} is out of range for "
                f"{len(modules)} modules"
            ) from None

    def __len__(self: Module) -> int:
        return len(self._modules)

    def __iter__(self: Module) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleList(Module):
    """A list of modules whose parameters are registered; it has no ``forward``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> layers = tg.nn.ModuleList([tg.nn.Linear(2, 2) for _ in range(3)])
    >>> len(list(layers.parameters()))
    6
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    append = Sequential.append
    __getitem__ = Sequential.__getitem__
    __len__ = Sequential.__len__
    __iter__ = Sequential.__iter__

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append every module in ``modules``.

        Examples
        --------
        >>> import tensorgrad as tg
        >>> len(tg.nn.ModuleList().extend([tg.nn.ReLU(), tg.nn.Tanh()]))
        2
        """
        for module in modules:
            self.append(module)
        return self


_ACTIVATIONS: dict[str, tuple[type[Module], str]] = {
    "relu": (ReLU, "kaiming"),
    "leaky_relu": (LeakyReLU, "kaiming"),
    "tanh": (Tanh, "xavier"),
    "sigmoid": (Sigmoid, "xavier"),
}


class MLP(Sequential):
    """A multilayer perceptron: ``Linear`` layers of the given ``sizes`` with
    ``activation`` between them and none after the last, so it returns logits.

    ``activation`` is ``"relu"``, ``"leaky_relu"``, ``"tanh"`` or ``"sigmoid"``. The
    weights start with He initialisation for the ReLU family and Glorot for tanh and
    sigmoid, unless ``init`` (``"kaiming"`` or ``"he"``, ``"xavier"`` or ``"glorot"``)
    says otherwise. ``rng`` is an int seed, a ``numpy.random.Generator`` or ``None``
    (tensorgrad's global generator); the layers draw one after another from it.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> model = tg.nn.MLP([64, 32, 10])
    >>> model(tg.ones((8, 64))).shape
    (8, 10)
    >>> model
    MLP(
      (0): Linear(in_features=64, out_features=32, bias=True)
      (1): ReLU()
      (2): Linear(in_features=32, out_features=10, bias=True)
    )
    """

    def __init__(
        self,
        sizes: Iterable[int],
        activation: str = "relu",
        rng: int | np.random.Generator | None = None,
        dtype: Any = None,
        init: str | None = None,
    ) -> None:
        sizes = [check_int(size, f"sizes[{i}]", "MLP") for i, size in enumerate(sizes)]
        if len(sizes) < 2:
            raise ValueError(
                f"MLP: sizes needs at least an input and an output size, got {sizes}"
            )
        layer_type, default_init = check_choice(activation, "activation", "MLP", _ACTIVATIONS)
        if init is not None:
            _initializer(init, "MLP")
        generator = as_generator(rng, "MLP")  # one for all layers, so each differs
        layers: list[Module] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            if layers:
                layers.append(layer_type())
            layers.append(
                Linear(fan_in, fan_out, rng=generator, dtype=dtype, init=init or default_init)
            )
        super().__init__(*layers)
