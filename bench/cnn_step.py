"""The small CNN of bench/engine_bench.py: its training step in the engine and in torch, and its table.

Conv 1->8 k3, ReLU, MaxPool 2, Conv 8->16 k3, ReLU, MaxPool 2, Flatten, Linear(16*7*7 -> 10),
LogSoftMax + NLL on (64, 1, 28, 28), SGD momentum. The workers of engine_bench.py import this
file after they have set their thread limits; it imports neither numpy nor torch at the top.
"""
import training_steps

BATCH, SIDE, CLASSES = 64, 28, 10
NAME = "CNN 28x28"
DESCRIPTION = ("Conv 1->8 k3, ReLU, MaxPool 2, Conv 8->16 k3, ReLU, MaxPool 2, Flatten, Linear 784->10, "
               "LogSoftMax")
CONFIGS = [("cnn", "float32", 1.0), ("cnn", "float64", 1.0)]  # (network, dtype, goal) as engine_bench's


def engine_model(engine, dtype, rng):
    return engine.Sequential(
        engine.Conv2d(1, 8, 3, dtype, rng), engine.ReLU(), engine.MaxPool2d(2),
        engine.Conv2d(8, 16, 3, dtype, rng), engine.ReLU(), engine.MaxPool2d(2), engine.Flatten(),
        engine.Linear(16 * 7 * 7, CLASSES, dtype, rng), engine.LogSoftMax())


def engine_setup(steps, dtype, np, engine, settings):
    """Kinds "plain" (the step) and "layer.{i}" (layer i's forward and backward alone); returns the payload."""
    learning_rate, momentum, seed, check_steps = settings
    rng = np.random.default_rng(seed)
    model = engine_model(engine, dtype, rng)
    x = rng.standard_normal((BATCH, 1, SIDE, SIDE)).astype(dtype)
    y = rng.integers(0, CLASSES, BATCH)
    step, reset = training_steps.engine_step(model, x=x, y=y, crit=engine.NLLCriterion(),
                                             opt=engine.SGD(learning_rate, momentum))
    steps["plain"] = (step, reset)
    weights = {"conv": [(model[i].W.copy(), model[i].b.copy()) for i in (0, 3)],
               "linear": (model[7].W.copy(), model[7].b.copy())}
    reset()
    losses = [float(step()) for _ in range(check_steps)]
    reset()
    model.forward(x)
    inputs = [x] + [layer.output for layer in model]
    grads = {i: np.random.default_rng(i).standard_normal(inputs[i + 1].shape).astype(inputs[i + 1].dtype)
             for i in range(len(model))}

    def alone(i, layer):
        return lambda: (layer.forward(inputs[i]), layer.backward(inputs[i], grads[i]))

    for i, layer in enumerate(model):
        steps[f"layer.{i}"] = (alone(i, layer), lambda: None)
    return {"cnn": True, "losses": losses, "x": x, "y": y.astype(np.int64), "weights": weights,
            "layers": [repr(layer) for layer in model]}


def torch_setup(steps, payload, dtype, torch, settings):
    """Kinds "same" (x.requires_grad_(True)) and "nodx"; returns the first losses of each."""
    learning_rate, momentum, _, check_steps = settings
    nn, dtype = torch.nn, getattr(torch, dtype)

    def build(kind):
        model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(16 * 7 * 7, CLASSES), nn.LogSoftmax(dim=1)).to(dtype)
        W, b = payload["weights"]["linear"]
        pairs = [(model[0], payload["weights"]["conv"][0]), (model[3], payload["weights"]["conv"][1]),
                 (model[7], (W.T.copy(), b))]  # torch's Linear weight is W.T
        with torch.no_grad():
            for layer, (weight, bias) in pairs:
                layer.weight.copy_(torch.from_numpy(weight))
                layer.bias.copy_(torch.from_numpy(bias))
        return training_steps.torch_step(torch, model, payload, kind, learning_rate, momentum)

    losses = {}
    for kind in ("same", "nodx"):
        step, reset = steps[kind] = build(kind)
        reset()
        losses[kind] = [step().item() for _ in range(check_steps)]
    return losses


def print_layers(rows, mu):
    """The engine's time per layer of the CNN (its forward + backward alone), against the step's."""
    if not rows:
        return
    print(f"\nWhere the CNN's time goes in the engine: each layer's forward + backward alone, on its own"
          f"\ninput from the step's forward, median {mu}; the rest of the step is the criterion, zero_grad_params,"
          f"\nSGD and the caches the layers evict from each other in a whole step:")
    for name, dtype, _, _, s, _ in rows:
        layers = [(label, t) for label, (t, _) in s.items() if label.startswith("layer ")]
        total = sum(t for _, t in layers)
        print(f"{name:<16} {dtype:<8} step {s['engine'][0]:.0f}, the layers alone {total:.0f}:")
        for label, t in layers:
            print(f"    {label:<28} {t:9.1f}  {100 * t / s['engine'][0]:5.1f}% of the step")
