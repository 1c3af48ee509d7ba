"""The training step the benchmarks time, with its reset, in the engine and in torch (one of each).

Imports nothing at the top: the workers of engine_bench.py load numpy or torch themselves,
after setting their thread limits, and hand the library in.
"""


def engine_step(model, crit, opt, x, y):
    """(step, reset): zero grads, forward, loss, backward, optimizer step; reset = initial weights, v = 0."""
    live = [p for layer in model.get_parameters() for p in layer]
    initial = [p.copy() for p in live]

    def step():
        model.zero_grad_params()
        p = model.forward(x)
        loss = crit.forward(p, y)
        g = crit.backward(p, y)
        model.backward(x, g)
        opt.step(model.get_parameters(), model.get_grad_params())
        return loss

    def reset():
        for p, p0 in zip(live, initial):
            p[...] = p0
        opt.state.clear()  # v starts again from 0 (a trace leaves its velocities read-only)

    return step, reset


def torch_step(torch, model, payload, kind, learning_rate, momentum):
    """(step, reset) of torch's SGD on payload's x, y; kind "same" makes x require its gradient."""
    opt = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=momentum)
    x = torch.from_numpy(payload["x"].copy()).requires_grad_(kind == "same")
    y = torch.from_numpy(payload["y"])
    initial = [p.detach().clone() for p in model.parameters()]

    def step():
        x.grad = None
        loss = torch.nn.functional.nll_loss(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    def reset():
        with torch.no_grad():
            for p, p0 in zip(model.parameters(), initial):
                p.copy_(p0)
                buffer = opt.state[p].get("momentum_buffer")
                if buffer is not None:
                    buffer.zero_()

    return step, reset
