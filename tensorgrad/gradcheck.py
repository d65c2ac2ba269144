"""Numerical gradients by central differences, and the check of analytic gradients against them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import autograd
from .autograd import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with the numerical one.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> issubclass(tg.GradcheckError, AssertionError)
    True
    """


class NonDifferentiablePointError(GradcheckError):
    """The check disagreed at a point where the function has a kink (one-sided slopes differ).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> try:
    ...     tg.gradcheck(lambda x: tg.relu(x) * 2 - x, [tg.tensor([0.0])])
    ... except tg.NonDifferentiablePointError as error:
    ...     print("kink:", "not differentiable" in str(error))
    kink: True
    """


def _inputs_list(inputs: Any) -> list[Any]:
    return [inputs] if isinstance(inputs, Tensor | np.ndarray) else list(inputs)


def _is_float(x: Any) -> bool:
    return np.asarray(x).dtype.kind == "f" or isinstance(x, float)


def _float64_copies(inputs: Sequence[Any], requires_grad: bool) -> list[Any]:
    return [
        # C order, so that perturbing the flat view perturbs what f sees.
        Tensor(np.array(x, dtype=np.float64, order="C"), requires_grad=requires_grad)
        if _is_float(x)
        else x
        for x in inputs
    ]


def _scalar_output(out: Any, grad_output: np.ndarray | None, where: str) -> Any:
    """Reduce ``f``'s output to the scalar whose gradient is checked: sum(out * grad_output)."""
    if grad_output is None:
        if np.size(out) != 1:
            raise ValueError(
                f"{where}: f returned shape {np.shape(out)}; return a single value, or pass "
                "grad_output (the gradient is then that of sum(f(x) * grad_output))"
            )
        return out.reshape(()) if isinstance(out, Tensor) else float(np.asarray(out).item())
    if np.shape(out) != grad_output.shape:
        raise ValueError(
            f"{where}: grad_output has shape {grad_output.shape} but f returned shape "
            f"{np.shape(out)}; they must match"
        )
    return (
        (out * grad_output).sum() if isinstance(out, Tensor) else float(np.sum(out * grad_output))
    )


def _evaluate(f: Callable[..., Any], xs: list[Any], grad_output: np.ndarray | None) -> float:
    with no_grad():
        out = _scalar_output(f(*xs), grad_output, "numerical_grad")
    return float(np.asarray(out, dtype=np.float64))


def numerical_grad(
    f: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    grad_output: Any = None,
) -> list[np.ndarray | None]:
    """Central differences ``(f(x + h) - f(x - h)) / 2h``, one element at a time, in float64.

    ``f`` takes the inputs and returns a single value (or, with ``grad_output``, the
    gradient is that of ``sum(f(x) * grad_output)``). Float inputs are perturbed as
    float64 copies; the result has one float64 array per input (``None`` for inputs
    that are not floating point, such as a boolean mask).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> (g,) = tg.numerical_grad(lambda x: (x ** 3).sum(), [tg.tensor([1.0, 2.0])])
    >>> g.round(6)
    array([ 3., 12.])
    """
    xs = _float64_copies(_inputs_list(inputs), requires_grad=False)
    projection = None if grad_output is None else np.asarray(grad_output, dtype=np.float64)
    grads: list[np.ndarray | None] = []
    for x in xs:
        if not isinstance(x, Tensor):
            grads.append(None)
            continue
        flat = x.data.reshape(-1)  # a view: writing it perturbs the input f sees
        grad = np.zeros(flat.size)
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            plus = _evaluate(f, xs, projection)
            flat[j] = original - eps
            minus = _evaluate(f, xs, projection)
            flat[j] = original
            grad[j] = (plus - minus) / (2 * eps)
        grads.append(grad.reshape(x.shape))
    return grads


def analytic_grad(
    f: Callable[..., Any], inputs: Any, grad_output: Any = None
) -> list[np.ndarray | None]:
    """Backpropagated gradient of ``f`` (as :func:`numerical_grad` defines it), in float64.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> analytic_grad(lambda x: (x ** 3).sum(), [tg.tensor([1.0, 2.0])])
    [array([ 3., 12.])]
    """
    xs = _float64_copies(_inputs_list(inputs), requires_grad=True)
    projection = None if grad_output is None else np.asarray(grad_output, dtype=np.float64)
    out = _scalar_output(f(*xs), projection, "gradcheck")
    leaves = [x for x in xs if isinstance(x, Tensor)]
    # Returned, not accumulated: tensors that f closes over keep their .grad untouched.
    grads = iter(
        autograd.grad(out, leaves)
        if isinstance(out, Tensor) and out.requires_grad and leaves
        else [Tensor(np.zeros(x.shape)) for x in leaves]
    )
    return [next(grads).data if isinstance(x, Tensor) else None for x in xs]


def _one_sided_slopes(
    f: Callable[..., Any], inputs: list[Any], which: int, element: int, step: float,
    grad_output: np.ndarray | None,
) -> tuple[float, float]:  # fmt: skip
    xs = _float64_copies(inputs, requires_grad=False)
    flat = xs[which].data.reshape(-1)
    original = flat[element]
    centre = _evaluate(f, xs, grad_output)
    flat[element] = original + step
    plus = _evaluate(f, xs, grad_output)
    flat[element] = original - step
    minus = _evaluate(f, xs, grad_output)
    return (centre - minus) / step, (plus - centre) / step


def _kink(
    f: Callable[..., Any], inputs: list[Any], which: int, element: int, tolerance: float,
    grad_output: np.ndarray | None,
) -> tuple[float, float] | None:  # fmt: skip
    """The (left, right) slopes if there is a kink at the element, else ``None``.

    On a smooth function the two one-sided slopes differ by about ``step * f''``, which
    shrinks with the step; at a kink they differ by the jump in slope whatever the step.
    """
    gaps = []
    for step in (1e-4, 1e-5):
        left, right = _one_sided_slopes(f, inputs, which, element, step, grad_output)
        gaps.append(abs(right - left))
    if gaps[1] > tolerance + 1e-3 * max(abs(left), abs(right)) and gaps[1] > 0.5 * gaps[0]:
        return left, right
    return None


def gradcheck(
    f: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    grad_output: Any = None,
    seed: int = 0,
) -> bool:
    """Compare backpropagated gradients of ``f`` with central differences, in float64.

    Returns ``True`` or raises :class:`GradcheckError` naming the input, the worst
    element, both values and the relative error. Where the two one-sided slopes at that
    element disagree, the point is a kink (relu at 0, a tie in max) and the error is a
    :class:`NonDifferentiablePointError` that says so. A non-scalar output is checked
    through ``sum(f(x) * grad_output)``, with a random ``grad_output`` when none is given.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.gradcheck(lambda x, y: x * y + x.exp(), [tg.randn(3), tg.randn(3)])
    True
    """
    return _compare(f, _inputs_list(inputs), eps, atol, rtol, grad_output, seed, "gradcheck")


def gradgradcheck(
    f: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    grad_output: Any = None,
    seed: int = 0,
) -> bool:
    """Compare second derivatives of ``f`` with central differences of its gradient.

    The backpropagated gradient of ``f`` (weighted by ``grad_output``, random when not
    given) is projected on random directions, one per input, and that scalar is checked
    with :func:`gradcheck`'s method: its gradient comes from backpropagating through the
    first backward pass (``create_graph=True``), its central differences from evaluating
    the first-order gradient at perturbed inputs. Returns ``True`` or raises
    :class:`GradcheckError` reported as :func:`gradcheck` does.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.gradgradcheck(lambda x, y: (x * y).tanh(), [tg.randn(3), tg.randn(3)])
    True
    """
    inputs = _inputs_list(inputs)
    rng = np.random.default_rng(seed)
    with no_grad():
        out = f(*_float64_copies(inputs, requires_grad=False))
    weights = np.asarray(
        rng.standard_normal(np.shape(out)) if grad_output is None else grad_output,
        dtype=np.float64,
    )
    positions = [i for i, x in enumerate(inputs) if _is_float(x)]
    directions = [rng.standard_normal(np.shape(inputs[i])) for i in positions]

    def projected_gradient(*xs: Any) -> Any:
        # Called with leaves that require grad by the analytic pass (the first-order
        # gradient must then stay on the graph) and with plain copies by the numerical one.
        on_graph = any(xs[i].requires_grad for i in positions)
        args = list(xs)
        for i in positions:
            if not on_graph:
                args[i] = Tensor(xs[i].data, requires_grad=True)
        with enable_grad():
            value = f(*args)
            if not (isinstance(value, Tensor) and value.requires_grad):
                return Tensor(np.float64(0.0))
            grads = autograd.grad(
                value, [args[i] for i in positions], Tensor(weights), create_graph=on_graph
            )
        return sum(((g * d).sum() for g, d in zip(grads, directions)), Tensor(0.0))

    return _compare(projected_gradient, inputs, eps, atol, rtol, None, seed, "gradgradcheck")


def _compare(
    f: Callable[..., Any], inputs: list[Any], eps: float, atol: float, rtol: float,
    grad_output: Any, seed: int, name: str,
) -> bool:  # fmt: skip
    if grad_output is None:
        with no_grad():
            out = f(*_float64_copies(inputs, requires_grad=False))
        if np.size(out) != 1:
            grad_output = np.random.default_rng(seed).standard_normal(np.shape(out))
    projection = None if grad_output is None else np.asarray(grad_output, dtype=np.float64)
    analytic = analytic_grad(f, inputs, projection)
    numerical = numerical_grad(f, inputs, eps, projection)
    for i, (a, n) in enumerate(zip(analytic, numerical)):
        if n is None:
            continue
        assert a is not None  # both are None exactly for the inputs that are not float
        if a.shape != n.shape:
            raise GradcheckError(
                f"{name}: input {i} has shape {n.shape} but its analytic gradient has shape "
                f"{a.shape}"
            )
        excess = np.abs(a - n) - (atol + rtol * np.abs(n))
        excess = np.where(np.isnan(excess), np.inf, excess)  # a NaN on either side fails
        if excess.size == 0 or excess.max() <= 0:
            continue
        flat = int(np.argmax(excess))
        index = np.unravel_index(flat, n.shape) if n.ndim else ()
        av, nv = float(a.reshape(-1)[flat]), float(n.reshape(-1)[flat])
        relative = abs(av - nv) / max(abs(av), abs(nv), 1e-300)
        message = (
            f"{name}: input {i} (shape {n.shape}), element {tuple(int(k) for k in index)}: "
            f"analytic {av:.10g} vs numerical {nv:.10g}, relative error {relative:.3g} "
            f"(atol={atol}, rtol={rtol})"
        )
        slopes = _kink(f, inputs, i, flat, atol, projection)
        if slopes is not None:
            left, right = slopes
            raise NonDifferentiablePointError(
                f"{message}. The point is not differentiable there: the slope is {left:.6g} "
                f"from the left and {right:.6g} from the right (a kink such as relu at 0 or a "
                "tie in max); check at a point away from it"
            )
        raise GradcheckError(message)
    return True
