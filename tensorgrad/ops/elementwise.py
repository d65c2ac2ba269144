"""Elementwise ops: arithmetic, nonlinearities and selection. All broadcast like NumPy.

Each rule returns gradients in the output's broadcast shape; the engine reduces them
to the inputs' shapes. Every op here derives from :class:`Elementwise`: once a
``where`` has zeroed part of a gradient, the engine keeps each zero a zero through
these rules (``0 * inf`` and ``0 * nan`` give 0), so nothing leaks from the branch
``where`` did not select.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor
from .registry import OpInfo, register


def _float_constant(mask: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A 0/1 (or weight) array in ``like``'s float dtype, so it never widens a float32 gradient."""
    dtype = like.dtype if like.dtype.kind == "f" else np.result_type(like.dtype, np.float64)
    return mask.astype(dtype, copy=False)


class Elementwise(Function):
    """An op whose output element i depends only on input element i (after broadcasting)."""

    constants: tuple[str, ...] = ()

    elementwise = True


class Add(Elementwise):
    """d(a + b) = (grad, grad)"""

    def forward(ctx, a, b):
        return a + b

    def backward(ctx, grad, xp):
        return grad, grad


class Sub(Elementwise):
    """d(a - b) = (grad, -grad)"""

    def forward(ctx, a, b):
        return a - b

    def backward(ctx, grad, xp):
        return grad, (-grad if ctx.parents[1] is not None else None)


class Mul(Elementwise):
    """d(a * b) = (grad * b, grad * a)"""

    save_inputs = True

    def forward(ctx, a, b):
        return a * b

    def backward(ctx, grad, xp):
        a, b = ctx.inputs
        ga = grad * b if ctx.parents[0] is not None else None
        gb = grad * a if ctx.parents[1] is not None else None
        return ga, gb


class Div(Elementwise):
    """d(a / b) = (grad / b, -grad * a / b^2)"""

    save_inputs = True

    def forward(ctx, a, b):
        return a / b

    def backward(ctx, grad, xp):
        a, b = ctx.inputs
        ga = grad / b
        gb = -ga * a / b if ctx.parents[1] is not None else None
        return ga, gb


class Neg(Elementwise):
    """d(-a) = -grad"""

    def forward(ctx, a):
        return -a

    def backward(ctx, grad, xp):
        return (-grad,)


class Pow(Elementwise):
    """d(a^b)/da = b a^(b-1);  d(a^b)/db = a^b log(a), taken as 0 where a = 0 and b >= 0"""

    save_inputs = True

    def forward(ctx, a, b):
        return a**b

    def backward(ctx, grad, xp):
        a, b = ctx.inputs
        ga = gb = None
        if ctx.parents[0] is not None:
            # b * a^(b-1) is 0 * inf at a = 0 when b = 0, where the derivative is 0: that
            # point alone gets base 1. (Zeroing the whole product wherever b = 0 would also
            # zero its derivative in b there, a^(b-1) (1 + b log a) = 1/a at b = 0.)
            base = a if np.all(b != 0) else xp.where((b == 0) & (a == 0), 1, a)
            ga = grad * (b * base ** (b - 1))
        if ctx.parents[1] is not None:
            zero_base = a == 0
            safe_a = xp.where(zero_base, 1, a)
            gb = grad * xp.where(zero_base & (b >= 0), 0, a**b * xp.log(safe_a))
        return ga, gb


class Exp(Elementwise):
    """d/dx exp(x) = exp(x)"""

    save_output = True

    def forward(ctx, x):
        return np.exp(x)

    def backward(ctx, grad, xp):
        return (grad * ctx.out,)


class Log(Elementwise):
    """d/dx log(x) = 1 / x"""

    save_inputs = True

    def forward(ctx, x):
        return np.log(x)

    def backward(ctx, grad, xp):
        return (grad / ctx.inputs[0],)


class Sqrt(Elementwise):
    """d/dx sqrt(x) = 1 / (2 sqrt(x))"""

    save_output = True

    def forward(ctx, x):
        return np.sqrt(x)

    def backward(ctx, grad, xp):
        return (grad / (2.0 * ctx.out),)


class Sin(Elementwise):
    """d/dx sin(x) = cos(x)"""

    save_inputs = True

    def forward(ctx, x):
        return np.sin(x)

    def backward(ctx, grad, xp):
        return (grad * xp.cos(ctx.inputs[0]),)


class Cos(Elementwise):
    """d/dx cos(x) = -sin(x)"""

    save_inputs = True

    def forward(ctx, x):
        return np.cos(x)

    def backward(ctx, grad, xp):
        return (-grad * xp.sin(ctx.inputs[0]),)


class Tanh(Elementwise):
    """d/dx tanh(x) = 1 - tanh(x)^2"""

    save_output = True

    def forward(ctx, x):
        return np.tanh(x)

    def backward(ctx, grad, xp):
        out = ctx.out
        return (grad * (1.0 - out * out),)


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """Logistic function on an array, accurate in both tails: exp(-log(1 + exp(-x)))."""
    return np.exp(-np.logaddexp(0, -x))


class Sigmoid(Elementwise):
    """d/dx sigmoid(x) = sigmoid(x) (1 - sigmoid(x))"""

    save_output = True

    def forward(ctx, x):
        return sigmoid_array(x)

    def backward(ctx, grad, xp):
        out = ctx.out
        return (grad * (out * (1.0 - out)),)


class Softplus(Elementwise):
    """softplus(x) = log(1 + exp(x));  d/dx softplus(x) = sigmoid(x)"""

    save_inputs = True

    def forward(ctx, x):
        return np.logaddexp(0, x)

    def backward(ctx, grad, xp):
        return (grad * xp.sigmoid(ctx.inputs[0]),)


class Relu(Elementwise):
    """d/dx relu(x) = 1 where x > 0, else 0"""

    constants = ("mask",)

    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.mask = out > 0  # float * bool keeps the float dtype, so no cast is needed
        return out

    def backward(ctx, grad, xp):
        return (grad * ctx.mask,)


class LeakyRelu(Elementwise):
    """d/dx leaky_relu(x, slope) = 1 where x > 0, else slope;  d/dslope = 0 where x > 0, else x"""

    name = "leaky_relu"
    save_inputs = True

    def forward(ctx, x, slope):
        return np.where(x > 0, x, x * slope)

    def backward(ctx, grad, xp):
        # Computed from the slope itself (not a cached mask), so that second derivatives
        # see how the slope enters.
        x, slope = ctx.inputs
        positive = x > 0
        g_slope = xp.where(positive, 0, grad * x) if ctx.parents[1] is not None else None
        return xp.where(positive, grad, grad * slope), g_slope


class Abs(Elementwise):
    """d/dx |x| = sign(x) (0 at 0)"""

    constants = ("sign",)

    def forward(ctx, x):
        ctx.sign = np.sign(x)
        return np.abs(x)

    def backward(ctx, grad, xp):
        return (grad * ctx.sign,)


class Clip(Elementwise):
    """d clip(x, lo, hi) = grad to x where lo <= x <= hi, to lo where x < lo, to hi where x > hi"""

    constants = ("inside", "below", "above")

    def forward(ctx, x, lo, hi):
        out = np.clip(x, lo, hi)
        ctx.inside = out == x  # float * bool keeps the float dtype
        ctx.below = None if lo is None else x < lo
        ctx.above = None if hi is None else x > hi
        return out

    def backward(ctx, grad, xp):
        p = ctx.parents
        g_lo = grad * ctx.below if p[1] is not None else None
        g_hi = grad * ctx.above if p[2] is not None else None
        return grad * ctx.inside, g_lo, g_hi


class Maximum(Elementwise):
    """d max(a, b) = (grad, 0) where a > b, (0, grad) where a < b, half each where equal"""

    constants = ("share",)

    select: np.ufunc
    wins: np.ufunc
    select, wins = np.maximum, np.greater

    def forward(ctx, a, b):
        out = ctx.op.select(a, b)
        ctx.share = _float_constant(ctx.op.wins(a, b) + 0.5 * (a == b), out)
        return out

    def backward(ctx, grad, xp):
        return grad * ctx.share, grad * (1.0 - ctx.share)


class Minimum(Maximum):
    """d min(a, b) = (grad, 0) where a < b, (0, grad) where a > b, half each where equal"""

    select, wins = np.minimum, np.less


class Where(Elementwise):
    """d where(c, a, b) = (where(c, grad, 0), where(c, 0, grad))"""

    constants = ("cond",)

    masks_gradient = True

    def forward(ctx, cond, a, b):
        ctx.cond = np.array(cond, dtype=bool)  # a copy: the caller may edit theirs later
        return np.where(ctx.cond, a, b)

    def backward(ctx, grad, xp):
        return None, xp.where(ctx.cond, grad, 0), xp.where(ctx.cond, 0, grad)


class AsType(Elementwise):
    """d astype(x) = grad, cast back to x's dtype by the engine"""

    name = "astype"

    def forward(ctx, x, dtype):
        return x.astype(dtype)

    def backward(ctx, grad, xp):
        return grad, None


# --- the public functions ------------------------------------------------------------


def add(a: Any, b: Any) -> Tensor:
    """Elementwise ``a + b`` with broadcasting.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.add(tg.tensor([1.0, 2.0]), 1.0)
    tensor([2., 3.])
    """
    return Add._fast(a, b)


def sub(a: Any, b: Any) -> Tensor:
    """Elementwise ``a - b`` with broadcasting.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.sub(tg.tensor([1.0, 2.0]), 1.0)
    tensor([0., 1.])
    """
    return Sub._fast(a, b)


def mul(a: Any, b: Any) -> Tensor:
    """Elementwise ``a * b`` with broadcasting.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.mul(tg.tensor([1.0, 2.0]), 3.0)
    tensor([3., 6.])
    """
    return Mul._fast(a, b)


def div(a: Any, b: Any) -> Tensor:
    """Elementwise ``a / b`` with broadcasting.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.div(tg.tensor([1.0, 2.0]), 2.0)
    tensor([0.5, 1. ])
    """
    return Div._fast(a, b)


def neg(a: Any) -> Tensor:
    """Elementwise ``-a``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.neg(tg.tensor([1.0]))
    tensor([-1.])
    """
    return Neg._fast(a)


def pow(a: Any, b: Any) -> Tensor:
    """Elementwise ``a ** b`` with broadcasting; differentiable in both.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.pow(tg.tensor([2.0, 3.0]), 2)
    tensor([4., 9.])
    """
    return Pow._fast(a, b)


def exp(x: Any) -> Tensor:
    """Elementwise ``e ** x``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.exp(tg.tensor([0.0]))
    tensor([1.])
    """
    return Exp._fast(x)


def log(x: Any) -> Tensor:
    """Elementwise natural logarithm.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.log(tg.tensor([1.0]))
    tensor([0.])
    """
    return Log._fast(x)


def sqrt(x: Any) -> Tensor:
    """Elementwise square root.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.sqrt(tg.tensor([4.0]))
    tensor([2.])
    """
    return Sqrt._fast(x)


def sin(x: Any) -> Tensor:
    """Elementwise sine.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.sin(tg.tensor([0.0]))
    tensor([0.])
    """
    return Sin._fast(x)


def cos(x: Any) -> Tensor:
    """Elementwise cosine.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.cos(tg.tensor([0.0]))
    tensor([1.])
    """
    return Cos._fast(x)


def tanh(x: Any) -> Tensor:
    """Elementwise hyperbolic tangent.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.tanh(tg.tensor([0.0]))
    tensor([0.])
    """
    return Tanh._fast(x)


def sigmoid(x: Any) -> Tensor:
    """Elementwise logistic function ``1 / (1 + exp(-x))``, accurate for any ``x``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.sigmoid(tg.tensor([0.0]))
    tensor([0.5])
    """
    return Sigmoid._fast(x)


def softplus(x: Any) -> Tensor:
    """Elementwise ``log(1 + exp(x))``, computed without overflow.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.softplus(tg.tensor([1000.0]))
    tensor([1000.])
    """
    return Softplus._fast(x)


def relu(x: Any) -> Tensor:
    """Elementwise ``max(x, 0)``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.relu(tg.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return Relu._fast(x)


def leaky_relu(x: Any, slope: float = 0.01) -> Tensor:
    """Elementwise ``x`` where ``x > 0``, else ``slope * x``.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.leaky_relu(tg.tensor([-2.0, 2.0]), 0.1)
    tensor([-0.2,  2. ])
    """
    return LeakyRelu._fast(x, slope)


def abs(x: Any) -> Tensor:
    """Elementwise absolute value (gradient 0 at 0).

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.abs(tg.tensor([-2.0]))
    tensor([2.])
    """
    return Abs._fast(x)


def clip(x: Any, lo: Any = None, hi: Any = None) -> Tensor:
    """Limit values to ``[lo, hi]`` (either may be ``None``); the gradient passes inside.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.clip(tg.tensor([-2.0, 0.5, 2.0]), -1, 1)
    tensor([-1. ,  0.5,  1. ])
    """
    if lo is None and hi is None:
        raise ValueError("clip: give at least one of lo and hi")
    if lo is not None and hi is not None and np.any(np.asarray(lo) > np.asarray(hi)):
        raise ValueError(f"clip: lo must not exceed hi, got lo={lo} and hi={hi}")
    return Clip._fast(x, lo, hi)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum with broadcasting; ties share the gradient equally.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.maximum(tg.tensor([1.0, 5.0]), 3.0)
    tensor([3., 5.])
    """
    return Maximum._fast(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum with broadcasting; ties share the gradient equally.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> tg.minimum(tg.tensor([1.0, 5.0]), 3.0)
    tensor([1., 3.])
    """
    return Minimum._fast(a, b)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a`` where ``cond`` else ``b``.

    No NaN or infinity reaches the first derivative from the branch that was not
    selected, through elementwise ops, ``max``/``min``, ``log_softmax`` and matrix
    products whose masked rows or columns are whole, so
    ``where(x > 0, sqrt(x), 0)`` has a finite gradient everywhere.

    Examples
    --------
    >>> import tensorgrad as tg
    >>> x = tg.tensor([0.0, 4.0], requires_grad=True)
    >>> tg.where(x > 0, tg.sqrt(x), 0.0).sum().backward()
    >>> x.grad
    array([0.  , 0.25])
    """
    return Where._fast(cond, a, b)


def astype(x: Any, dtype: Any) -> Tensor:
    """``x`` cast to ``dtype``; differentiable between float dtypes.

    Examples
    --------
    >>> import numpy as np, tensorgrad as tg
    >>> tg.astype(tg.tensor([1.5]), np.float32).dtype
    dtype('float32')
    """
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc" and isinstance(x, Tensor):
        x = x.detach()
    return AsType._fast(x, dtype)


def guard_array(grad: np.ndarray, result: np.ndarray) -> np.ndarray:
    """``result`` with 0 where it is not finite only because ``grad`` there is 0 (0 * inf).

    Examples
    --------
    >>> guard_array(np.array([0.0, 1.0]), np.array([np.nan, np.inf])).tolist()
    [0.0, inf]
    """
    finite = np.isfinite(result)
    if finite.all():
        return result
    return np.where((grad == 0) & ~finite, 0, result)


_real, _positive = ("real",), ("positive",)
register(OpInfo("add", add, np.add, ("real", "real")))
register(OpInfo("sub", sub, np.subtract, ("real", "real")))
register(OpInfo("mul", mul, np.multiply, ("real", "real")))
register(OpInfo("div", div, np.divide, ("real", "nonzero")))
register(OpInfo("neg", neg, np.negative))
register(OpInfo("pow", pow, np.power, ("positive", "real")))
register(OpInfo("exp", exp, np.exp))
register(OpInfo("log", log, np.log, _positive))
register(OpInfo("sqrt", sqrt, np.sqrt, _positive))
register(OpInfo("sin", sin, np.sin))
register(OpInfo("cos", cos, np.cos))
register(OpInfo("tanh", tanh, np.tanh))
register(OpInfo("sigmoid", sigmoid, lambda x: 1 / (1 + np.exp(-x))))
register(OpInfo("softplus", softplus, lambda x: np.log1p(np.exp(x))))
register(OpInfo("relu", relu, lambda x: np.maximum(x, 0), kinks=(0.0,)))
register(
    OpInfo(
        "leaky_relu",
        leaky_relu,
        lambda x, slope: np.where(x > 0, x, slope * x),
        params=lambda rng, shapes: {"slope": float(rng.uniform(0.01, 0.5))},
        kinks=(0.0,),
    )
)
register(
    OpInfo(
        "leaky_relu_slope",
        leaky_relu,
        lambda x, slope: np.where(x > 0, x, slope * x),
        ("real", "positive"),
        kinks=(0.0,),
        notes="the slope as a tensor, differentiated too",
    )
)
register(OpInfo("abs", abs, np.abs, kinks=(0.0,)))
register(
    OpInfo(
        "clip",
        clip,
        lambda x, lo, hi: np.clip(x, lo, hi),
        params=lambda rng, shapes: {"lo": -1.0, "hi": 1.0},
        kinks=(-1.0, 1.0),
    )
)
register(
    OpInfo(
        "clip_bounds",
        lambda x, lo, hi: clip(x, lo - 2.5, hi + 2.5),
        lambda x, lo, hi: np.clip(x, lo - 2.5, hi + 2.5),
        ("real", "real", "real"),
        notes="tensor bounds, differentiated too; lo - 2.5 < hi + 2.5 always",
    )
)
register(OpInfo("maximum", maximum, np.maximum, ("distinct", "distinct")))
register(OpInfo("minimum", minimum, np.minimum, ("distinct", "distinct")))
register(OpInfo("where", where, np.where, ("bool", "real", "real")))
register(
    OpInfo(
        "astype",
        lambda x: astype(x, np.float64),
        lambda x: x.astype(np.float64),
        notes="to float64: a cast to float32 cannot be checked by float64 differences",
    )
)
