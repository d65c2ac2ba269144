"""tensorgrad: a NumPy-backed tensor automatic-differentiation engine.

>>> import tensorgrad as tg
>>> x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([[2., 4.],
       [6., 8.]])
"""

from . import autograd, data, nn, optim, viz
from .autograd import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .creation import (
    arange,
    eye,
    from_numpy,
    full,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)  # fmt: skip
from .derivatives import grad, hessian, hvp, jacobian, jvp, value_and_grad
from .functional import log_softmax, softmax
from .gradcheck import (
    GradcheckError,
    NonDifferentiablePointError,
    gradcheck,
    gradgradcheck,
    numerical_grad,
)
from .io import load, save
from .ops import (
    abs,
    add,
    argmax,
    argmin,
    astype,
    broadcast_to,
    clip,
    concatenate,
    cos,
    div,
    equal,
    exp,
    expand_dims,
    flatten,
    greater,
    greater_equal,
    leaky_relu,
    less,
    less_equal,
    log,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    neg,
    not_equal,
    pad,
    pow,
    relu,
    reshape,
    scatter_add,
    sigmoid,
    sin,
    softplus,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    swapaxes,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)  # fmt: skip
from .tensor import Tensor, get_default_dtype, set_default_dtype

__version__ = "0.1.0"

__all__ = [
    "abs", "add", "arange", "argmax", "argmin", "astype", "autograd", "broadcast_to", "clip",
    "concatenate", "cos", "data", "detect_anomaly", "div", "enable_grad", "equal", "exp",
    "expand_dims", "eye", "flatten", "from_numpy", "full", "get_default_dtype", "grad",
    "gradcheck", "GradcheckError", "gradgradcheck", "greater", "greater_equal", "hessian", "hvp",
    "is_grad_enabled", "jacobian", "jvp", "leaky_relu", "less", "less_equal", "load", "log",
    "log_softmax", "logical_and", "logical_not", "logical_or", "logical_xor", "logsumexp",
    "manual_seed", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "nn",
    "no_grad", "NonDifferentiablePointError", "not_equal", "numerical_grad", "ones", "ones_like",
    "optim", "pad", "pow", "rand", "randn", "relu", "reshape", "save", "scatter_add",
    "set_default_dtype", "sigmoid", "sin", "softmax", "softplus", "split", "sqrt", "squeeze",
    "stack", "std", "sub", "sum", "swapaxes", "tanh", "tensor", "Tensor", "transpose", "unsqueeze",
    "value_and_grad", "var", "viz", "where", "zeros", "zeros_like",
]  # fmt: skip
