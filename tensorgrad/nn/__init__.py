"""Neural-network building blocks: modules, layers, losses, initialisation.

>>> import tensorgrad as tg
>>> model = tg.nn.MLP([2, 8, 1])
>>> loss = tg.nn.functional.mse_loss(model(tg.ones((4, 2))), tg.zeros((4, 1)))
>>> loss.backward()
>>> model[0].weight.grad.shape
(2, 8)
"""

from . import functional, init, utils
from .layers import MLP, Dropout, LeakyReLU, Linear, ModuleList, ReLU, Sequential, Sigmoid, Tanh
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module, Parameter

__all__ = [
    "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "IncompatibleKeys", "LeakyReLU",
    "Linear", "MLP", "MSELoss", "Module", "ModuleList", "NLLLoss", "Parameter", "ReLU",
    "Sequential", "Sigmoid", "Tanh", "functional", "init", "utils",
]  # fmt: skip
