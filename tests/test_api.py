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

PUBLIC = [
    name
    for name in tg.__all__
    if inspect.isfunction(getattr(tg, name)) or inspect.isclass(getattr(tg, name))
]


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_every_differentiable_op_is_in_the_registry(name: str) -> None:
    assert name in OPS, f"{name} has no registry entry, so no gradient test covers it"


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_function_and_class_has_an_example(name: str) -> None:
    assert ">>>" in (getattr(tg, name).__doc__ or ""), f"tg.{name} has no docstring example"


@pytest.mark.parametrize("name", [n for n in PUBLIC if inspect.isfunction(getattr(tg, n))])
def test_every_public_function_has_type_hints(name: str) -> None:
    function = getattr(tg, name)
    signature = inspect.signature(function)
    missing = [p for p in signature.parameters if p not in function.__annotations__]
    assert not missing and "return" in function.__annotations__, (name, missing)


@pytest.mark.parametrize("name", sorted(OPS))
def test_registry_entries_use_known_input_kinds(name: str) -> None:
    from tensorgrad.ops.registry import INPUT_KINDS

    assert set(OPS[name].inputs) <= set(INPUT_KINDS), OPS[name].inputs
