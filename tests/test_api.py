"""The public surface keeps its promises: documented examples, every op in the registry."""

from __future__ import annotations

import inspect

import pytest

import tensorgrad as tg
from tensorgrad.ops.registry import OPS

# Every differentiable operation SPEC lists, and the public ops built alongside them.
DIFFERENTIABLE = """add sub mul div pow matmul neg abs exp log sqrt sin cos tanh sigmoid relu
    leaky_relu softplus clip maximum minimum where sum mean max min var std logsumexp
    reshape transpose flatten squeeze unsqueeze broadcast_to concatenate stack split pad
    getitem softmax log_softmax astype swapaxes scatter_add""".split()

NAMESPACES = {
    "tg": tg,
    "tg.autograd": tg.autograd,
    "tg.nn": tg.nn,
    "tg.nn.functional": tg.nn.functional,
    "tg.nn.init": tg.nn.init,
    "tg.nn.utils": tg.nn.utils,
    "tg.optim": tg.optim,
    "tg.optim.lr_scheduler": tg.optim.lr_scheduler,
    "tg.data": tg.data,
    "tg.viz": tg.viz,
}


def _public(module: object) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:  # tg.autograd: the names SPEC gives it
        names = ["grad", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly"]
    return [
        name for name in names
        if inspect.isfunction(getattr(module, name)) or inspect.isclass(getattr(module, name))
    ]  # fmt: skip


PUBLIC = [f"{prefix}.{name}" for prefix, module in NAMESPACES.items() for name in _public(module)]


def _resolve(dotted: str) -> object:
    prefix, name = dotted.rsplit(".", 1)
    return getattr(NAMESPACES[prefix], name)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_every_differentiable_op_is_in_the_registry(name: str) -> None:
    assert name in OPS, f"{name} has no registry entry, so no gradient test covers it"


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_function_and_class_has_an_example(name: str) -> None:
    assert ">>>" in (_resolve(name).__doc__ or ""), f"{name} has no docstring example"


@pytest.mark.parametrize("name", [n for n in PUBLIC if inspect.isfunction(_resolve(n))])
def test_every_public_function_has_type_hints(name: str) -> None:
    function = _resolve(name)
    signature = inspect.signature(function)
    missing = [p for p in signature.parameters if p not in function.__annotations__]
    assert not missing and "return" in function.__annotations__, (name, missing)


@pytest.mark.parametrize("name", sorted(OPS))
def test_registry_entries_use_known_input_kinds(name: str) -> None:
    from tensorgrad.ops.registry import INPUT_KINDS

    assert set(OPS[name].inputs) <= set(INPUT_KINDS), OPS[name].inputs
