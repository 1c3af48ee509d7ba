"""One registry of layer cases (MiniTorch style) and an independent finite-difference helper.

Each LayerCase builds a seeded layer in its mode, a seeded input kept away from kinks, and
knows the layer's forward as plain NumPy written without the engine. Jacobians here follow
the house convention: rows are outputs, columns are inputs, both flattened row-major.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from engine import (ELU, BatchNormalization, Conv2d, Dropout, Flatten, LeakyReLU, Linear, LogSoftMax,
                    MaxPool2d, ReLU, Scaling, Sequential, SoftMax, SoftPlus)

from . import image_reference

BN_EPS = 1e-3  # the contract's constant, written here independently of BatchNormalization.EPS


# --- closed forms, plain NumPy, independent of the engine's code -------------------------------

def linear(x, W, b):
    return x @ W + b


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(x):
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


def batchnorm_train(x):
    return (x - x.mean(axis=0)) / np.sqrt(((x - x.mean(axis=0)) ** 2).mean(axis=0) + BN_EPS)


def batchnorm_eval(x, mean, variance):
    return (x - mean) / np.sqrt(variance + BN_EPS)


def relu(x):
    return x * (x > 0)


def leaky_relu(x, slope):
    return np.where(x > 0, x, slope * x)


def elu(x, alpha):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))


def softplus(x):
    return np.log1p(np.exp(x))


def dropout(layer, x):
    """Training: x * mask read from the layer after its forward; evaluate: identity."""
    return x * layer.mask if layer.training else x


def batchnorm(layer, x):
    if layer.training:
        return batchnorm_train(x)
    return batchnorm_eval(x, layer.moving_mean, layer.moving_variance)


# --- the registry -------------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerCase:
    """A layer to test: build(rng, dtype) -> Module in its mode; reference(layer, x) -> forward."""

    id: str
    build: Callable
    feature_shape: tuple
    reference: Callable
    param_names: tuple = ()
    couples_samples: bool = False   # output row n depends on other rows (BN in training)
    mode: str = "train"
    repr_parts: tuple = ()          # substrings the repr must show
    children: tuple = field(default=())  # expected child reprs for a Sequential, one per line

    @property
    def has_params(self):
        return bool(self.param_names)

    def make_layer(self, seed=0, dtype=np.float64):
        return self.build(np.random.default_rng(seed), dtype)

    def make_input(self, n, seed=1, dtype=np.float64):
        """x (n, *feature_shape) with |x| in [0.2, 2]: away from the kinks at 0."""
        rng = np.random.default_rng(seed)
        shape = (n,) + self.feature_shape
        x = rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
        return x.astype(dtype)


def _warm_bn(bn, n_features, rng, dtype):
    """One training forward on a shifted batch so that the moving statistics are not trivial."""
    bn.forward((rng.normal(0.5, 2.0, (6, n_features))).astype(dtype))
    return bn


def _bn_eval(rng, dtype):
    return _warm_bn(BatchNormalization(0.5), 4, rng, dtype).evaluate()


def _mlp(rng, dtype):
    return Sequential(Linear(4, 5, dtype, rng), ReLU(), Linear(5, 3, dtype, rng), LogSoftMax())


def _mlp_ref(model, x):
    h = relu(linear(x, model[0].W, model[0].b))
    return log_softmax(linear(h, model[2].W, model[2].b))


def _bn_net(mode):
    def build(rng, dtype):
        model = Sequential(Linear(3, 4, dtype, rng), BatchNormalization(0.9), Scaling(4, dtype, rng),
                           ELU(), Linear(4, 3, dtype, rng), SoftMax())
        if mode == "evaluate":
            model.forward(rng.normal(0.0, 1.5, (6, 3)).astype(dtype))
            model.evaluate()
        return model
    return build


def _bn_net_ref(model, x):
    h = linear(x, model[0].W, model[0].b)
    h = batchnorm(model[1], h)
    h = elu(h * model[2].gamma + model[2].beta, 1.0)
    return softmax(linear(h, model[4].W, model[4].b))


def _flatten_net(rng, dtype):
    return Sequential(Flatten(), Linear(6, 5, dtype, rng), Dropout(0.4, rng=rng), LeakyReLU(0.1),
                      Linear(5, 2, dtype, rng))


def _flatten_net_ref(model, x):
    h = linear(x.reshape(len(x), -1), model[1].W, model[1].b)
    h = leaky_relu(dropout(model[2], h), 0.1)
    return linear(h, model[4].W, model[4].b)


def _cnn(rng, dtype):
    """The issue's small CNN on (N, 1, 8, 8) digits."""
    return Sequential(Conv2d(1, 4, 3, dtype, rng), ReLU(), MaxPool2d(2), Flatten(), Linear(64, 10, dtype, rng),
                      LogSoftMax())


def _cnn_ref(model, x):
    h = relu(image_reference.conv2d(x, model[0].W, model[0].b))
    h = image_reference.maxpool2d(h, 2).reshape(len(x), -1)
    return log_softmax(linear(h, model[4].W, model[4].b))


_BN_NET_PARAMS = ("0.W", "0.b", "2.gamma", "2.beta", "4.W", "4.b")
_BN_NET_CHILDREN = ("Linear(3 -> 4)", "BatchNormalization", "Scaling(4)", "ELU", "Linear(4 -> 3)",
                    "SoftMax")

CASES = [
    LayerCase("linear", lambda rng, dt: Linear(3, 4, dt, rng), (3,),
              lambda m, x: linear(x, m.W, m.b), ("W", "b"), repr_parts=("Linear(3 -> 4)",)),
    LayerCase("softmax", lambda rng, dt: SoftMax(), (4,), lambda m, x: softmax(x),
              repr_parts=("SoftMax",)),
    LayerCase("logsoftmax", lambda rng, dt: LogSoftMax(), (4,), lambda m, x: log_softmax(x),
              repr_parts=("LogSoftMax",)),
    *[LayerCase(f"dropout_train_p{p:g}", lambda rng, dt, p=p: Dropout(p, rng=rng), (5,), dropout,
                repr_parts=("Dropout", f"{p:g}")) for p in (0.0, 0.3, 0.7)],
    LayerCase("dropout_eval", lambda rng, dt: Dropout(0.5, rng=rng).evaluate(), (5,), dropout,
              mode="evaluate", repr_parts=("Dropout", "0.5")),
    *[LayerCase(f"batchnorm_train_alpha{a:g}", lambda rng, dt, a=a: BatchNormalization(a), (4,),
                batchnorm, couples_samples=True, repr_parts=("BatchNormalization", f"{a:g}"))
      for a in (0.0, 0.9)],
    LayerCase("batchnorm_eval", _bn_eval, (4,), batchnorm, mode="evaluate",
              repr_parts=("BatchNormalization", "0.5")),
    LayerCase("scaling", lambda rng, dt: Scaling(4, dt, rng), (4,),
              lambda m, x: x * m.gamma + m.beta, ("gamma", "beta"), repr_parts=("Scaling", "4")),
    LayerCase("flatten_3d", lambda rng, dt: Flatten(), (2, 3), lambda m, x: x.reshape(len(x), -1),
              repr_parts=("Flatten",)),
    LayerCase("flatten_4d", lambda rng, dt: Flatten(), (2, 2, 3), lambda m, x: x.reshape(len(x), -1),
              repr_parts=("Flatten",)),
    LayerCase("relu", lambda rng, dt: ReLU(), (4,), lambda m, x: relu(x), repr_parts=("ReLU",)),
    LayerCase("leakyrelu_default", lambda rng, dt: LeakyReLU(), (4,),
              lambda m, x: leaky_relu(x, 0.03), repr_parts=("LeakyReLU", "0.03")),
    LayerCase("leakyrelu_0.2", lambda rng, dt: LeakyReLU(0.2), (4,),
              lambda m, x: leaky_relu(x, 0.2), repr_parts=("LeakyReLU", "0.2")),
    LayerCase("elu_default", lambda rng, dt: ELU(), (4,), lambda m, x: elu(x, 1.0),
              repr_parts=("ELU",)),
    LayerCase("elu_0.5", lambda rng, dt: ELU(0.5), (4,), lambda m, x: elu(x, 0.5),
              repr_parts=("ELU", "0.5")),
    LayerCase("softplus", lambda rng, dt: SoftPlus(), (4,), lambda m, x: softplus(x),
              repr_parts=("SoftPlus",)),
    *[LayerCase(f"conv2d_k{k}", lambda rng, dt, k=k: Conv2d(2, 3, k, dt, rng), (2, 4, 5),
                lambda m, x: image_reference.conv2d(x, m.W, m.b), ("W", "b"),
                repr_parts=("Conv2d", "2 -> 3", f"{k}x{k}")) for k in (1, 3, 5)],
    LayerCase("maxpool2d_k2", lambda rng, dt: MaxPool2d(2), (2, 4, 6),
              lambda m, x: image_reference.maxpool2d(x, 2), repr_parts=("MaxPool2d(2)",)),
    LayerCase("maxpool2d_k3", lambda rng, dt: MaxPool2d(3), (1, 3, 6),
              lambda m, x: image_reference.maxpool2d(x, 3), repr_parts=("MaxPool2d(3)",)),
    LayerCase("seq_mlp", _mlp, (4,), _mlp_ref, ("0.W", "0.b", "2.W", "2.b"),
              children=("Linear(4 -> 5)", "ReLU", "Linear(5 -> 3)", "LogSoftMax")),
    LayerCase("seq_bn_train", _bn_net("train"), (3,), _bn_net_ref, _BN_NET_PARAMS,
              couples_samples=True, children=_BN_NET_CHILDREN),
    LayerCase("seq_bn_eval", _bn_net("evaluate"), (3,), _bn_net_ref, _BN_NET_PARAMS,
              mode="evaluate", children=_BN_NET_CHILDREN),
    LayerCase("seq_flatten_dropout", _flatten_net, (2, 3), _flatten_net_ref,
              ("1.W", "1.b", "4.W", "4.b"),
              children=("Flatten", "Linear(6 -> 5)", "Dropout", "LeakyReLU", "Linear(5 -> 2)")),
    LayerCase("seq_cnn", _cnn, (1, 8, 8), _cnn_ref, ("0.W", "0.b", "4.W", "4.b"),
              children=("Conv2d(1 -> 4, 3x3)", "ReLU", "MaxPool2d(2)", "Flatten", "Linear(64 -> 10)",
                        "LogSoftMax")),
]


def pytest_params(cases, sizes=None):
    """pytest parameters named by the registry's ids; with sizes, one per (case, batch size)."""
    import pytest
    if sizes is None:
        return [pytest.param(case, id=case.id) for case in cases]
    return [pytest.param(case, n, id=f"{case.id}-N{n}") for case in cases for n in sizes
            if not (n == 1 and case.couples_samples)]  # BN in training at N=1 has a zero Jacobian


# --- helpers ------------------------------------------------------------------------------------

def walk(module):
    """The module and, for a Sequential, every descendant."""
    yield module
    if isinstance(module, Sequential):
        for child in module:
            yield from walk(child)


def freeze_dropout(module):
    """Hold Dropout masks fixed (reuse the last one) so finite differences see one function."""
    for m in walk(module):
        if isinstance(m, Dropout):
            m.freeze_mask = True
    return module


def flat_params(module):
    """get_parameters() flattened: a Sequential's list of lists becomes one list."""
    values = module.get_parameters()
    return [v for layer in values for v in layer] if isinstance(module, Sequential) else list(values)


def flat_grads(module):
    grads = module.get_grad_params()
    return [g for layer in grads for g in layer] if isinstance(module, Sequential) else list(grads)


def numeric_jacobian(f, x, h=1e-6):
    """J[j, i] = d f(x)_j / d x_i by central differences in float64; f must not keep x."""
    x = np.array(x, dtype=np.float64)
    n_out = np.asarray(f(x.copy())).size
    J = np.empty((n_out, x.size))
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[i] += h
        xm.flat[i] -= h
        J[:, i] = (np.array(f(xp), dtype=np.float64).ravel()
                   - np.array(f(xm), dtype=np.float64).ravel()) / (2 * h)
    return J


def numeric_jacobian_inplace(f, p, h=1e-6):
    """J[j, i] = d f()_j / d p_i, perturbing the live array p in place and restoring it exactly."""
    original = p.copy()
    n_out = np.asarray(f()).size
    J = np.empty((n_out, p.size))
    for i in range(p.size):
        p.flat[i] = original.flat[i] + h
        yp = np.array(f(), dtype=np.float64).ravel()
        p.flat[i] = original.flat[i] - h
        ym = np.array(f(), dtype=np.float64).ravel()
        p.flat[i] = original.flat[i]
        J[:, i] = (yp - ym) / (2 * h)
    return J


def backward_jacobians(layer, x):
    """(J_input, {name: J_param}) from backward with one-hot grad_outputs; rows are outputs."""
    y = layer.forward(x).copy()
    named = layer.named_parameters()
    J_in = np.empty((y.size, x.size))
    J_params = {name: np.empty((y.size, value.size)) for name, value, _ in named}
    for j in range(y.size):
        g = np.zeros_like(y)
        g.flat[j] = 1.0
        J_in[j] = layer.backward(x, g).ravel()
        for name, _, grad in layer.named_parameters():
            J_params[name][j] = grad.ravel()
    return J_in, J_params
