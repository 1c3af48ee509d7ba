"""python -m engine: the handout's example trained on blobs, then one iteration looked at stage by stage."""
import numpy as np

from i18n import domain, from_environment, use

from . import SGD, Linear, LogSoftMax, NLLCriterion, ReLU, Sequential
from .data import load
from .jacobian import analytic_jacobian, gradcheck, input_jacobian
from .trace import trace_iteration
from .training import evaluate, fit

_, ngettext = domain("engine")


def shape(array):
    return "x".join(map(str, np.shape(array)))


def describe_stage(trace, stage):
    """One line per stage: what went in, what came out."""
    if stage.kind == "forward":
        record = trace.forward[stage.index]
        return _("{layer}: input {input} -> output {output}").format(layer=record.name, input=shape(record.input),
                                                                      output=shape(record.output))
    if stage.kind == "loss":
        return _("{criterion}: loss {loss}, grad_input {shape}").format(
            criterion=trace.criterion, loss=f"{trace.loss:.4f}", shape=shape(trace.loss_grad))
    if stage.kind == "backward":
        record = trace.backward_record(stage.index)
        params = "".join(f", d{name} {shape(grad)}" for name, grad in record.grad_params.items())
        return (f"{record.name}: grad_output {shape(record.grad_output)} -> "
                f"grad_input {shape(record.grad_input)}{params}")
    steps = ", ".join(f"{u.param} -= v (max |v| {np.abs(u.velocity).max():.2e})"
                      for u in trace.update_records(stage.index))
    return _("layer {index}: {steps}").format(index=stage.index, steps=steps)


def main(epochs=30, seed=0):
    data = load("blobs", seed=seed)
    model = Sequential(Linear(2, 2, rng=np.random.default_rng(seed)), LogSoftMax())
    criterion, optimizer = NLLCriterion(), SGD(learning_rate=1e-2, momentum=0.9)
    print(_("The handout's example: {data}").format(data=repr(data)) + f"\n{model!r}\n{criterion!r}, {optimizer!r}\n")

    history = fit(model, criterion, optimizer, data.X_train, data.y_train, epochs=epochs,
                  batch_size=128, rng=seed)
    print(ngettext("after {n} epoch: train loss {loss}, test {test}",
                   "after {n} epochs: train loss {loss}, test {test}", epochs).format(n=epochs, loss=f"{history.train_loss[-1]:.4f}",
                                  test=evaluate(model, criterion, data.X_test, data.y_test)) + "\n")

    x, y = data.X_train[:8], data.y_train[:8]
    trace = trace_iteration(model, criterion, optimizer, x, y)
    print(_("One more iteration on a batch of 8, stage by stage:"))
    for number, stage in enumerate(trace.stages, start=1):
        print(f"  {number:2d}. {str(stage):<11} {describe_stage(trace, stage)}")

    softmax_input = trace.forward[1].input[:1]
    J = input_jacobian(model[1], softmax_input)
    print("\n" + _("LogSoftMax's Jacobian for sample 0 (rows = outputs, columns = inputs):") + f"\n{J}")
    agrees = np.abs(J - analytic_jacobian(model[1], softmax_input)).max()
    print(_("closed form I - 1 a^T agrees to {error}").format(error=f"{agrees:.1e}"))

    deeper = Sequential(Linear(2, 4, rng=np.random.default_rng(seed)), ReLU(),
                        Linear(4, 2, rng=np.random.default_rng(seed + 1)), LogSoftMax())
    print("\n" + _("Gradient check of a deeper network:") + f"\n{gradcheck(deeper, x[:4])}")
    return trace


if __name__ == "__main__":
    with use(from_environment()):  # LANG=ru_RU.UTF-8 python -m engine speaks Russian
        main()
