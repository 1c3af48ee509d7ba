"""operands: which tensors each formula of a stage reads, declared per result, so the Step page draws them all.

A stage's results are computed from its operands: a Linear's ∂L/∂W = xᵀ g reads the forward's input x
and grad_output g, its ∂L/∂x = g Wᵀ reads g and W. Every id here is a viz.entries.Tensor id, and
viz.entries draws every operand a stage's formulas read, so each question about a result can be answered
from the page. An update's results are declared by what the learner starts from (before, gradient and
the moving averages kept from the last step), not by the other results of the same stage.
"""
PARAMS = {"Linear": ("W", "b"), "Conv2d": ("W", "b"), "Scaling": ("gamma", "beta")}


def forward_operands(kind, training=True):
    """{result id: operand ids} of a layer's forward (kind: the layer's class name)."""
    if kind in PARAMS:
        return {"output": ("input", *(f"param:{name}" for name in PARAMS[kind]))}
    if kind == "BatchNormalization":
        return {"output": ("input", "mean", "variance") if training else ("input", "moving_mean", "moving_variance")}
    if kind == "Dropout" and training:
        return {"output": ("input", "mask")}
    return {"output": ("input",)}


def backward_operands(kind, training=True):
    """{result id: operand ids} of a layer's backward: grad_input and each parameter's gradient."""
    if kind in PARAMS:
        weight, shift = PARAMS[kind]
        return {"grad_input": ("grad_output", f"param:{weight}"), f"grad:{weight}": ("input", "grad_output"),
                f"grad:{shift}": ("grad_output",)}
    reads = {"SoftMax": ("output",), "LogSoftMax": ("output", "softmax"), "Flatten": (),
             "BatchNormalization": ("output", "variance") if training else ("moving_variance",),
             "Dropout": ("mask",) if training else ()}.get(kind, ("input",))  # f'(x): the elementwise ones
    return {"grad_input": ("grad_output", *reads)}


def loss_operands():
    return {"loss_grad": ("predictions", "targets")}


def update_operands(param, adam=False, first=False):
    """{result id: operand ids} of one parameter's update (SGD with momentum, or Adam); at the first step
    the moving averages kept from the last step are 0 (the page says so instead of drawing zeros)."""
    held = () if first else ((f"m_prev:{param}", f"v_prev:{param}") if adam else (f"velocity_prev:{param}",))
    start = (f"before:{param}", f"grad:{param}", *held)
    if adam:
        return {f"m:{param}": (*held[:1], f"grad:{param}"), f"v:{param}": (*held[1:], f"grad:{param}"),
                f"step:{param}": start, f"after:{param}": start}
    return {f"velocity:{param}": (*held, f"grad:{param}"), f"after:{param}": start}  # SGD's step is its velocity
