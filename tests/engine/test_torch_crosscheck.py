"""The same computations in the engine and in PyTorch (float64): forward values and gradients."""
import numpy as np
import pytest

from engine import (ELU, Adam, BatchNormalization, Conv2d, Flatten, LeakyReLU, Linear, LogSoftMax,
                    MaxPool2d, MSECriterion, NLLCriterion, ReLU, Scaling, Sequential, SoftMax, SoftPlus,
                    sgd_momentum)

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOL = dict(rtol=1e-10, atol=1e-12)


def tensor(a, grad=False):
    return torch.tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def run_torch(fn, x, g, *params):
    """(y, dL/dx, [dL/dp]) of L = sum(fn(x, *params) * g) in torch."""
    xt, pts = tensor(x, True), [tensor(p, True) for p in params]
    y = fn(xt, *pts)
    y.backward(tensor(g))
    return y.detach().numpy(), xt.grad.numpy(), [p.grad.numpy() for p in pts]


def data(shape, seed=0):
    return np.random.default_rng(seed).normal(0.0, 2.0, shape)


ELEMENTWISE = [
    pytest.param(ReLU(), F.relu, id="relu"),
    pytest.param(LeakyReLU(), lambda x: F.leaky_relu(x, negative_slope=0.03), id="leakyrelu"),
    pytest.param(LeakyReLU(0.2), lambda x: F.leaky_relu(x, negative_slope=0.2), id="leakyrelu_0.2"),
    pytest.param(ELU(), lambda x: F.elu(x, alpha=1.0), id="elu"),
    pytest.param(ELU(0.5), lambda x: F.elu(x, alpha=0.5), id="elu_0.5"),
    pytest.param(SoftPlus(), lambda x: F.softplus(x, beta=1.0, threshold=1e9), id="softplus"),
    pytest.param(SoftMax(), lambda x: torch.softmax(x, dim=1), id="softmax"),
    pytest.param(LogSoftMax(), lambda x: torch.log_softmax(x, dim=1), id="logsoftmax"),
    pytest.param(Flatten(), lambda x: torch.flatten(x, 1), id="flatten"),
]


@pytest.mark.parametrize("layer, torch_fn", ELEMENTWISE)
def test_parameter_free_layers(layer, torch_fn):
    x = data((5, 2, 3)) if isinstance(layer, Flatten) else data((5, 4))
    y = layer.forward(x)
    g = data(y.shape, seed=1)
    y_t, gx_t, _ = run_torch(torch_fn, x, g)
    np.testing.assert_allclose(y, y_t, **TOL)
    np.testing.assert_allclose(layer.backward(x, g), gx_t, **TOL)


def test_linear():
    layer = Linear(4, 3, rng=np.random.default_rng(0))
    x = data((5, 4))
    g = data((5, 3), seed=1)
    y = layer.forward(x)
    gx = layer.backward(x, g)
    y_t, gx_t, (gW_t, gb_t) = run_torch(lambda x, w, b: F.linear(x, w, b), x, g, layer.W.T, layer.b)
    np.testing.assert_allclose(y, y_t, **TOL)
    np.testing.assert_allclose(gx, gx_t, **TOL)
    np.testing.assert_allclose(layer.gradW, gW_t.T, **TOL)  # torch's weight is W.T
    np.testing.assert_allclose(layer.gradb, gb_t, **TOL)


def test_scaling():
    layer = Scaling(4, rng=np.random.default_rng(0))
    x, g = data((5, 4)), data((5, 4), seed=1)
    y, gx = layer.forward(x), layer.backward(x, g)
    y_t, gx_t, (gg_t, gb_t) = run_torch(lambda x, s, b: x * s + b, x, g, layer.gamma, layer.beta)
    np.testing.assert_allclose(y, y_t, **TOL)
    np.testing.assert_allclose(gx, gx_t, **TOL)
    np.testing.assert_allclose(layer.gradGamma, gg_t, **TOL)
    np.testing.assert_allclose(layer.gradBeta, gb_t, **TOL)


@pytest.mark.parametrize("alpha", [0.0, 0.9])
def test_batchnorm_training_and_running_stats(alpha):
    n, k = 6, 3
    ours = BatchNormalization(alpha)
    theirs = torch.nn.BatchNorm1d(k, eps=1e-3, momentum=1 - alpha, affine=False).double().train()
    x1, x2 = data((n, k), seed=2), data((n, k), seed=3) + 1.0
    ours.forward(x1)
    # torch starts from running stats (0, 1); ours are set by the first batch: start torch there.
    theirs.running_mean.copy_(tensor(ours.moving_mean))
    theirs.running_var.copy_(tensor(ours.moving_variance))
    g = data((n, k), seed=4)
    y = ours.forward(x2)
    gx = ours.backward(x2, g)
    y_t, gx_t, _ = run_torch(theirs, x2, g)
    np.testing.assert_allclose(y, y_t, **TOL)
    np.testing.assert_allclose(gx, gx_t, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.moving_mean, theirs.running_mean.numpy(), **TOL)
    # torch folds in the unbiased batch variance (times N/(N-1)); ours the biased one.
    biased = x2.var(axis=0)
    np.testing.assert_allclose(ours.moving_variance,
                               theirs.running_var.numpy() - (1 - alpha) * biased / (n - 1), **TOL)


def test_batchnorm_evaluate_mode():
    ours = BatchNormalization(0.5)
    ours.forward(data((6, 3), seed=2))
    ours.evaluate()
    theirs = torch.nn.BatchNorm1d(3, eps=1e-3, affine=False).double().eval()
    theirs.running_mean.copy_(tensor(ours.moving_mean))
    theirs.running_var.copy_(tensor(ours.moving_variance))
    x, g = data((4, 3), seed=5), data((4, 3), seed=6)
    y_t, gx_t, _ = run_torch(theirs, x, g)
    np.testing.assert_allclose(ours.forward(x), y_t, **TOL)
    np.testing.assert_allclose(ours.backward(x, g), gx_t, **TOL)


def test_nll_on_logsoftmax_matches_nll_loss():
    z, labels = data((6, 4)), np.array([0, 3, 1, 2, 2, 0])
    log_probs = LogSoftMax()
    criterion = NLLCriterion()
    b = log_probs.forward(z)
    loss = criterion.forward(b, labels)
    gz = log_probs.backward(z, criterion.backward(b, labels))
    zt = tensor(z, True)
    loss_t = F.nll_loss(F.log_softmax(zt, dim=1), torch.tensor(labels))
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    np.testing.assert_allclose(gz, zt.grad.numpy(), **TOL)


def test_mse_matches_sum_over_batch_size():
    x, y = data((5, 3)), data((5, 3), seed=1)
    criterion = MSECriterion()
    xt = tensor(x, True)
    loss_t = torch.nn.MSELoss(reduction="sum")(xt, tensor(y)) / len(x)
    loss_t.backward()
    assert criterion.forward(x, y) == pytest.approx(loss_t.item(), rel=1e-12)
    np.testing.assert_allclose(criterion.backward(x, y), xt.grad.numpy(), **TOL)


def test_five_training_steps_match_torch_sgd_momentum():
    rng = np.random.default_rng(0)
    model = Sequential(Linear(4, 8, rng=rng), ReLU(), Linear(8, 3, rng=rng), LogSoftMax())
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3),
                              torch.nn.LogSoftmax(dim=1)).double()
    with torch.no_grad():
        for ours, theirs in ((model[0], net[0]), (model[2], net[2])):
            theirs.weight.copy_(tensor(ours.W.T))
            theirs.bias.copy_(tensor(ours.b))
    lr, momentum = 0.1, 0.9
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    criterion, config, state = NLLCriterion(), {"learning_rate": lr, "momentum": momentum}, {}
    for step in range(5):
        x = rng.normal(size=(6, 4))
        y = rng.integers(0, 3, size=6)
        model.zero_grad_params()
        out = model.forward(x)
        loss = criterion.forward(out, y)
        model.backward(x, criterion.backward(out, y))
        sgd_momentum(model.get_parameters(), model.get_grad_params(), config, state)

        optimizer.zero_grad()
        loss_t = F.nll_loss(net(tensor(x)), torch.tensor(y))
        loss_t.backward()
        optimizer.step()
        assert loss == pytest.approx(loss_t.item(), rel=1e-10), step

    torch_params = [net[0].weight.T, net[0].bias, net[2].weight.T, net[2].bias]
    for k, (ours, theirs) in enumerate(zip([model[0].W, model[0].b, model[2].W, model[2].b], torch_params)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), **TOL)
        buf = optimizer.state[[net[0].weight, net[0].bias, net[2].weight, net[2].bias][k]]["momentum_buffer"]
        buf = buf.T if buf.ndim == 2 else buf
        np.testing.assert_allclose(state["accumulated_grads"][k], lr * buf.numpy(), **TOL)  # v = lr * buf


# --- the image layers at the course's tolerances: float32 inputs in +-1, np.allclose(atol=1e-6) ---

COURSE = dict(rtol=1e-5, atol=1e-6)  # np.allclose's rtol with the course's atol


def float32_data(shape, seed):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def run_torch32(fn, x, g, *params):
    """(y, dL/dx, [dL/dp]) of L = sum(fn(x, *params) * g) in torch float32."""
    xt = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    pts = [torch.tensor(np.asarray(p, np.float32), requires_grad=True) for p in params]
    y = fn(xt, *pts)
    y.backward(torch.tensor(g, dtype=torch.float32))
    return y.detach().numpy(), xt.grad.numpy(), [p.grad.numpy() for p in pts]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("c_in, c_out, k, h, w", [(1, 4, 3, 8, 8), (3, 2, 1, 5, 6), (2, 3, 5, 7, 6),
                                                  (8, 16, 3, 4, 4)])
def test_conv2d(c_in, c_out, k, h, w, dtype):
    layer = Conv2d(c_in, c_out, k, dtype=dtype, rng=np.random.default_rng(0))
    x, g = float32_data((4, c_in, h, w), 1), float32_data((4, c_out, h, w), 2)
    y = layer.forward(x.astype(dtype))
    gx = layer.backward(x.astype(dtype), g.astype(dtype))
    y_t, gx_t, (gW_t, gb_t) = run_torch32(lambda x, W, b: F.conv2d(x, W, b, padding=k // 2), x, g,
                                          layer.W, layer.b)
    np.testing.assert_allclose(y, y_t, **COURSE)
    np.testing.assert_allclose(gx, gx_t, **COURSE)
    np.testing.assert_allclose(layer.gradW, gW_t, **COURSE)
    np.testing.assert_allclose(layer.gradb, gb_t, **COURSE)


@pytest.mark.parametrize("c_in, c_out, h", [(1, 8, 28), (8, 16, 14)])
def test_conv2d_float64_at_the_bench_shapes(c_in, c_out, h):
    """The bench's two convolutions at batch 64, float64 in both libraries, at this file's tolerance."""
    layer = Conv2d(c_in, c_out, 3, rng=np.random.default_rng(0))
    x, g = data((64, c_in, h, h), 1), data((64, c_out, h, h), 2)
    y, gx = layer.forward(x), layer.backward(x, g)
    y_t, gx_t, (gW_t, gb_t) = run_torch(lambda x, W, b: F.conv2d(x, W, b, padding=1), x, g, layer.W, layer.b)
    np.testing.assert_allclose(y, y_t, **TOL)
    np.testing.assert_allclose(gx, gx_t, **TOL)
    np.testing.assert_allclose(layer.gradW, gW_t, rtol=1e-10, atol=1e-9)  # sums of 64*h*h terms of size ~4
    np.testing.assert_allclose(layer.gradb, gb_t, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("k, shape", [(2, (4, 3, 8, 8)), (3, (2, 2, 9, 6)), (4, (3, 1, 8, 4))])
def test_maxpool2d(k, shape):
    pool = MaxPool2d(k)
    x, g = float32_data(shape, 3), float32_data((shape[0], shape[1], shape[2] // k, shape[3] // k), 4)
    y_t, gx_t, _ = run_torch32(lambda x: F.max_pool2d(x, k), x, g)
    np.testing.assert_allclose(pool.forward(x), y_t, **COURSE)
    np.testing.assert_allclose(pool.backward(x, g), gx_t, **COURSE)


def test_maxpool2d_ties_go_where_torch_sends_them():
    x = np.random.default_rng(5).integers(-1, 2, (3, 2, 6, 6)).astype(np.float32)  # many ties
    g = float32_data((3, 2, 3, 3), 6)
    pool = MaxPool2d(2)
    y_t, gx_t, _ = run_torch32(lambda x: F.max_pool2d(x, 2), x, g)
    np.testing.assert_array_equal(pool.forward(x), y_t)
    np.testing.assert_array_equal(pool.backward(x, g), gx_t)


def test_five_cnn_steps_with_adam_match_torch_adam():
    rng = np.random.default_rng(0)
    model = Sequential(Conv2d(1, 4, 3, rng=rng), ReLU(), MaxPool2d(2), Flatten(), Linear(64, 10, rng=rng),
                       LogSoftMax())
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(64, 10), torch.nn.LogSoftmax(dim=1)).double()
    ours = [model[0].W, model[0].b, model[4].W, model[4].b]
    theirs = [net[0].weight, net[0].bias, net[4].weight, net[4].bias]
    with torch.no_grad():
        for p, q in zip(ours, theirs):
            q.copy_(tensor(p.T if p.ndim == 2 else p))  # torch's Linear weight is W.T
    config = dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)
    optimizer = Adam(0.01, 0.8, 0.99, 1e-6)
    torch_optimizer = torch.optim.Adam(net.parameters(), **config)
    criterion = NLLCriterion()
    for step in range(5):
        x, y = rng.normal(size=(6, 1, 8, 8)), rng.integers(0, 10, size=6)
        model.zero_grad_params()
        out = model.forward(x)
        loss = criterion.forward(out, y)
        model.backward(x, criterion.backward(out, y))
        optimizer.step(model.get_parameters(), model.get_grad_params())
        torch_optimizer.zero_grad()
        loss_t = F.nll_loss(net(tensor(x)), torch.tensor(y))
        loss_t.backward()
        torch_optimizer.step()
        assert loss == pytest.approx(loss_t.item(), rel=1e-10), step
    assert optimizer.state["t"] == 5
    for k, (p, q) in enumerate(zip(ours, theirs)):
        flip = (lambda a: a.T) if p.ndim == 2 else (lambda a: a)
        np.testing.assert_allclose(p, flip(q.detach().numpy()), rtol=1e-9, atol=1e-12)
        moments = torch_optimizer.state[q]
        np.testing.assert_allclose(optimizer.state["m"][k], flip(moments["exp_avg"].numpy()), rtol=1e-9,
                                   atol=1e-15)
        np.testing.assert_allclose(optimizer.state["v"][k], flip(moments["exp_avg_sq"].numpy()), rtol=1e-9,
                                   atol=1e-18)
