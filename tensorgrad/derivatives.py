"""Derivatives as functions: ``grad``, ``value_and_grad``, ``hvp``, ``jvp``, ``jacobian``,
``hessian``.

All are built on :func:`tensorgrad.autograd.grad`, so every derivative comes from the
same backward rules. Each call differentiates with respect to variables of its own: a
fresh leaf for an argument that does not require grad, and a private alias (an identity
node) for one that does, so that a closure's use of the same tensor is not mistaken for
a use of the variable. They nest: when the function's value depends on any tensor that
requires grad other than the call's own fresh leaves (an outer derivative's variable,
passed in or closed over, or a model's parameters), the result is kept on the graph
(``create_graph=True``) so that it can be differentiated again; otherwise it is a plain
tensor with no graph behind it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import autograd
from .autograd import Function, Node, enable_grad
from .ops import reshape, stack
from .tensor import Tensor, as_array, get_default_dtype

__all__ = ["grad", "hessian", "hvp", "jacobian", "jvp", "value_and_grad"]


class Alias(Function):
    """d alias(x) = grad: the identity, as a node of its own (a variable private to one
    derivative, over the same memory as ``x``)"""

    constants = ()

    name = "alias"

    def forward(ctx, x):
        return x

    def backward(ctx, grad, xp):
        return (grad,)


class _Variable(Tensor):
    """A fresh leaf made by one derivative call for an argument that did not require grad.

    While its call runs it is that call's variable (and, to calls nested inside, an outer
    one); once the call has returned, nothing can differentiate with respect to it, so a
    graph that reaches it is not kept for its sake.
    """

    __slots__ = ()


_ACTIVE: set[int] = set()  # ids of the fresh variables of the calls now running


@contextmanager
def _running(variables: Sequence[Tensor]) -> Iterator[None]:
    fresh = [id(v) for v in variables if isinstance(v, _Variable)]
    _ACTIVE.update(fresh)
    try:
        with enable_grad():
            yield
    finally:
        _ACTIVE.difference_update(fresh)


def _variable(x: Any, fn: str, position: int) -> Tensor:
    """The variable to differentiate with respect to, standing for argument ``x``: a private
    alias of a tensor that requires grad, else a new leaf over the same data (integers and
    Python numbers become the default float dtype)."""
    if isinstance(x, Tensor) and x.requires_grad:
        with enable_grad():  # an alias records its node even under tg.no_grad()
            return Alias._fast(x)
    data = as_array(x)
    if data.dtype.kind != "f":
        if data.dtype.kind not in "iub":
            raise TypeError(
                f"{fn}: argument {position} has dtype {data.dtype}; differentiate with respect "
                "to numbers only"
            )
        data = data.astype(get_default_dtype())
    return _Variable(data, requires_grad=True)


def _on_outer_graph(outputs: Sequence[Tensor], variables: Sequence[Tensor]) -> bool:
    """Whether ``outputs`` depend on a tensor that requires grad other than the fresh leaves
    among ``variables``: then an outer computation may differentiate what is derived from
    them, and their graph must be kept."""
    own = {id(v) for v in variables}
    stack_: list[Node | Tensor] = [out._node for out in outputs if out._node is not None]
    stack_ += [out for out in outputs if out._node is None and out.requires_grad]
    seen: set[int] = set()
    while stack_:
        item = stack_.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Tensor):
            finished = isinstance(item, _Variable) and id(item) not in _ACTIVE
            if id(item) not in own and not finished:
                return True
            continue
        stack_.extend(p for p in item.parents or () if p is not None)
    return False


def _argnums(argnums: int | Sequence[int], count: int, fn: str) -> tuple[int, ...]:
    try:
        numbers = (operator.index(argnums),) if not isinstance(argnums, Sequence) else tuple(
            operator.index(n) for n in argnums
        )
    except TypeError:
        raise TypeError(
            f"{fn}: argnums must be an int or a tuple of ints, got {argnums!r}"
        ) from None
    for n in numbers:
        if not -count <= n < count:
            raise ValueError(
                f"{fn}: argnums {n} is out of range for a function called with {count} "
                "positional arguments"
            )
    return tuple(n % count for n in numbers)


def _output(value: Any, fn: str) -> Tensor:
    """The function's result as a tensor: a tensor, a number or an array (constants, whose
    derivative is zero); anything else is a mistake worth naming."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, int | float | np.number | np.ndarray) and not isinstance(value, bool):
        return Tensor(as_array(value))
    raise TypeError(
        f"{fn}: the function returned a {type(value).__name__}; return one tensor (for "
        "several outputs, differentiate each, or stack them with tg.stack)"
    )


def _scalar(value: Any, fn: str) -> Tensor:
    value = _output(value, fn)
    if value.size != 1:
        raise RuntimeError(
            f"{fn}: the function returned shape {value.shape}, but a gradient needs a scalar "
            "output; reduce it (e.g. .sum()) or use tg.jacobian for vector outputs"
        )
    return value.reshape(()) if value.shape else value


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0
) -> Callable[..., tuple[Tensor, Any]]:
    """A function returning ``(f(*args), gradient of f)`` for a scalar-valued ``f``.

    The gradient is taken with respect to the positional argument ``argnums`` (a tensor),
    or to each of a tuple of them (a tuple of tensors). Arguments may be tensors, arrays
    or numbers.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> value, dx = tg.value_and_grad(lambda x: (x ** 2).sum())(tg.tensor([1.0, 2.0]))
    >>> value, dx
    (tensor(5.), tensor([2., 4.]))
    """

    return _value_and_grad(f, argnums, "value_and_grad")


def _value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int], fn: str
) -> Callable[..., tuple[Tensor, Any]]:
    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple[Tensor, Any]:
        numbers = _argnums(argnums, len(args), fn)
        args_list = list(args)
        for n in numbers:
            args_list[n] = _variable(args[n], fn, n)
        variables = [args_list[n] for n in numbers]
        with _running(variables):
            value = _scalar(f(*args_list, **kwargs), fn)
            nested = _on_outer_graph([value], variables)
            grads = autograd.grad(value, variables, create_graph=nested)
        if not nested:
            value = value.detach()
        return value, grads if isinstance(argnums, Sequence) else grads[0]

    return value_and_grad_f


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """A function computing the gradient of scalar-valued ``f`` at its arguments.

    ``argnums`` picks the positional argument(s) to differentiate; the result has the
    shape of that argument (a tuple of them for a tuple of ``argnums``). Nests to any
    order: ``tg.grad(tg.grad(f))`` is the second derivative.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> d3 = tg.grad(tg.grad(tg.grad(lambda x: x ** 4)))
    >>> d3(tg.tensor(2.0))
    tensor(48.)
    """
    value_and_grad_f = _value_and_grad(f, argnums, "grad")

    def grad_f(*args: Any, **kwargs: Any) -> Any:
        return value_and_grad_f(*args, **kwargs)[1]

    return grad_f


def _tuple(values: Any) -> tuple[Any, ...]:
    return tuple(values) if isinstance(values, tuple | list) else (values,)


def _directions(x: tuple[Tensor, ...], v: Any, fn: str) -> list[Any]:
    v = _tuple(v)
    if len(v) != len(x):
        raise ValueError(f"{fn}: {len(x)} primals but {len(v)} tangent vectors")
    directions = []
    for i, (xi, vi) in enumerate(zip(x, v)):
        vi = vi if isinstance(vi, Tensor) else Tensor(as_array(vi, dtype=xi.dtype))
        if vi.shape != xi.shape:
            raise ValueError(
                f"{fn}: vector {i} has shape {vi.shape} but its primal has shape {xi.shape}; "
                "they must match"
            )
        directions.append(vi)
    return directions


def hvp(f: Callable[..., Any], x: Any, v: Any) -> Any:
    """The Hessian of scalar-valued ``f`` at ``x`` times ``v``, without forming the Hessian.

    ``x`` and ``v`` are a tensor each, or tuples of them (``f`` then takes several
    arguments). Costs about three times one gradient: a backward pass kept on the graph,
    then a backward pass through it (``d/dx <grad f(x), v>``).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.hvp(lambda x: (x ** 3).sum(), tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0]))
    tensor([ 6., 12.])
    """
    primals = tuple(_variable(xi, "hvp", i) for i, xi in enumerate(_tuple(x)))
    directions = _directions(primals, v, "hvp")
    with _running(primals):
        value = _scalar(f(*primals), "hvp")
        nested = _on_outer_graph([value], primals)
        grads = autograd.grad(value, primals, create_graph=True)
        products = autograd.grad(grads, primals, directions, create_graph=nested)
    return products if isinstance(x, tuple | list) else products[0]


def jvp(f: Callable[..., Any], primals: Any, tangents: Any) -> tuple[Tensor, Tensor]:
    """``(f(*primals), J v)``: the output and its directional derivative along ``tangents``.

    tensorgrad has no forward mode; the Jacobian-vector product comes from two reverse
    passes (the "double-VJP" trick): ``g(u) = J^T u`` is linear in a dummy ``u``, so
    differentiating ``<g(u), v>`` with respect to ``u`` gives ``J v``. Cost: one forward
    pass and about three backward passes, independent of the number of outputs.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.jvp(lambda x: x ** 2, tg.tensor([1.0, 3.0]), tg.tensor([1.0, 0.0]))
    (tensor([1., 9.]), tensor([2., 0.]))
    """
    xs = tuple(_variable(xi, "jvp", i) for i, xi in enumerate(_tuple(primals)))
    directions = _directions(xs, tangents, "jvp")
    with _running(xs):
        out = _output(f(*xs), "jvp")
        if not out.requires_grad:
            return out, Tensor(np.zeros(out.shape, out.dtype))
        nested = _on_outer_graph([out], xs)
        dummy = Tensor(np.zeros(out.shape, out.dtype), requires_grad=True)
        pulled = autograd.grad(out, xs, dummy, create_graph=True)
        (product,) = autograd.grad(pulled, dummy, directions, create_graph=nested)
    return (out if nested else out.detach()), product


def jacobian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Tensor]:
    """A function computing the Jacobian of ``f`` with respect to argument ``argnums``.

    For an output of shape ``out`` and an argument of shape ``in`` the result has shape
    ``out + in``: entry ``[i, j]`` is ``d f(x)[i] / d x[j]``. It takes one backward pass
    per output element, so it is meant for small outputs.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.jacobian(lambda x: x ** 2)(tg.tensor([1.0, 3.0]))
    tensor([[2., 0.],
            [0., 6.]])
    """

    def jacobian_f(*args: Any, **kwargs: Any) -> Tensor:
        if isinstance(argnums, Sequence):
            raise TypeError(
                f"jacobian: argnums must be one int, got {argnums!r}; take one Jacobian per "
                "argument"
            )
        (n,) = _argnums(argnums, len(args), "jacobian")
        args_list = list(args)
        x = args_list[n] = _variable(args[n], "jacobian", n)
        with _running([x]):
            out = _output(f(*args_list, **kwargs), "jacobian")
            if not out.requires_grad:
                return Tensor(np.zeros(out.shape + x.shape, x.dtype))
            nested = _on_outer_graph([out], [x])
            flat = out.reshape(-1)
            rows = [
                autograd.grad(
                    flat, x, _basis(flat.size, i, out.dtype), retain_graph=True,
                    create_graph=nested,
                )[0]
                for i in range(flat.size)
            ]  # fmt: skip
        return reshape(stack(rows), out.shape + x.shape)

    return jacobian_f


def _basis(size: int, i: int, dtype: np.dtype) -> np.ndarray:
    e = np.zeros(size, dtype)
    e[i] = 1
    return e


def hessian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Tensor]:
    """A function computing the Hessian of scalar-valued ``f``: ``jacobian(grad(f))``.

    For an argument of shape ``in`` the result has shape ``in + in``. One backward pass
    per element of the argument, so it is meant for small inputs.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.hessian(lambda x: x[0] ** 2 * x[1])(tg.tensor([1.0, 2.0]))
    tensor([[4., 2.],
            [2., 0.]])
    """
    return jacobian(grad(f, argnums), argnums)
