"""The image layers', criteria's and optimizers' mistakes as a student writes them (see written_layers)."""
from i18n import N_

from .catalogue import written
from .written_layers import grad_input, grad_params, method

# --- Conv2d and MaxPool2d -----------------------------------------------------------------------------
PAD = "n, c, h, w = input.shape", "p, k = self.padding, self.kernel_size"
written("Conv2d", "not_flipped", grad_input(
    *PAD,
    "g = np.pad(grad_output, ((0, 0), (0, 0), (p, p), (p, p)))",
    "kernel = self.W  # right: kernel = self.W[:, :, ::-1, ::-1]",
    "self.grad_input = np.zeros(input.shape)",
    "for a in range(k):",
    "    for b in range(k):",
    '        self.grad_input += np.einsum("oc,nohw->nchw", kernel[:, :, a, b], g[:, :, a:a + h, b:b + w])'))
KERNEL_GRAD = 'self.gradW[:, :, a, b] = np.einsum("nohw,nchw->oc", grad_output, x[:, :, a:a + h, b:b + w])'
written("Conv2d", "params_averaged", grad_params(
    *PAD,
    "x = np.pad(input, ((0, 0), (0, 0), (p, p), (p, p)))",
    "for a in range(k):",
    "    for b in range(k):",
    f"        {KERNEL_GRAD} / n  # right: {KERNEL_GRAD}",
    "self.gradb[...] = grad_output.sum(axis=(0, 2, 3)) / n  "
    "# right: self.gradb[...] = grad_output.sum(axis=(0, 2, 3))"))


def pool(winner):
    """MaxPool2d's update_grad_input: each window's gradient sent to the entries `winner` marks."""
    return grad_input(
        "n, c, h, w = input.shape",
        "k = self.kernel_size",
        "windows = input.reshape(n, c, h // k, k, w // k, k).transpose(0, 1, 2, 4, 3, 5)",
        "windows = windows.reshape(n, c, h // k, w // k, k * k)  # " + N_("each window in row-major order"),
        f"winner = {winner}",
        "routed = (winner * grad_output[..., None]).reshape(n, c, h // k, w // k, k, k)",
        "self.grad_input = routed.transpose(0, 1, 2, 4, 3, 5).reshape(input.shape)")


FIRST = "winner = np.arange(k * k) == windows.argmax(axis=-1)[..., None]"
written("MaxPool2d", "spread", pool(f"np.ones(windows.shape)  # right: {FIRST}"))
written("MaxPool2d", "every_tie", pool(f"windows == windows.max(axis=-1, keepdims=True)  # right: {FIRST}"))
written("MaxPool2d", "last_tie", pool(
    f"np.arange(k * k) == k * k - 1 - windows[..., ::-1].argmax(axis=-1)[..., None]  # right: {FIRST}"))


# --- the criteria (targets one-hot, as in the handout) -------------------------------------------------
def loss(line):
    return method("update_output", "input, target", [line], "output")


def loss_grad(line):
    return method("update_grad_input", "input, target", [line], "grad_input")


MSE = "self.output = np.sum((input - target) ** 2) / len(input)"
MSE_GRAD = "self.grad_input = 2 * (input - target) / len(input)"
written("MSECriterion", "mean_over_all", loss(
    f"self.output = np.sum((input - target) ** 2) / input.size  # right: {MSE}"), loss_grad(
    f"self.grad_input = 2 * (input - target) / input.size  # right: {MSE_GRAD}"))
written("MSECriterion", "no_batch_mean", loss(f"self.output = np.sum((input - target) ** 2)  # right: {MSE}"),
        loss_grad(f"self.grad_input = 2 * (input - target)  # right: {MSE_GRAD}"))
written("MSECriterion", "no_two", loss_grad(f"self.grad_input = (input - target) / len(input)  # right: {MSE_GRAD}"))
written("MSECriterion", "sign", loss_grad(f"self.grad_input = 2 * (target - input) / len(input)  # right: {MSE_GRAD}"))
CLIPPED = "np.clip(input, self.EPS, 1 - self.EPS)"
NLL = f"self.output = -np.sum(target * np.log({CLIPPED})) / len(input)"
NLL_GRAD = f"self.grad_input = -target / {CLIPPED} / len(input)"
written("NLLCriterionUnstable", "no_clip", loss(
    f"self.output = -np.sum(target * np.log(input)) / len(input)  # right: {NLL}"), loss_grad(
    f"self.grad_input = -target / input / len(input)  # right: {NLL_GRAD}"))
written("NLLCriterionUnstable", "no_batch_mean", loss(
    f"self.output = -np.sum(target * np.log({CLIPPED}))  # right: {NLL}"), loss_grad(
    f"self.grad_input = -target / {CLIPPED}  # right: {NLL_GRAD}"))
written("NLLCriterionUnstable", "grad_log", loss_grad(
    f"self.grad_input = -target * np.log({CLIPPED}) / len(input)  # right: {NLL_GRAD}"))
written("NLLCriterionUnstable", "sign", loss_grad(
    f"self.grad_input = target / {CLIPPED} / len(input)  # right: {NLL_GRAD}"))
LOG_NLL, LOG_NLL_GRAD = "self.output = -np.sum(target * input) / len(input)", "self.grad_input = -target / len(input)"
written("NLLCriterion", "no_batch_mean", loss(f"self.output = -np.sum(target * input)  # right: {LOG_NLL}"),
        loss_grad(f"self.grad_input = -target  # right: {LOG_NLL_GRAD}"))
written("NLLCriterion", "sign", loss(f"self.output = np.sum(target * input) / len(input)  # right: {LOG_NLL}"),
        loss_grad(f"self.grad_input = target / len(input)  # right: {LOG_NLL_GRAD}"))
written("NLLCriterion", "unstable_gradient", loss_grad(
    f"self.grad_input = -target / input / len(input)  # right: {LOG_NLL_GRAD}"))


# --- sgd_momentum and adam_optimizer, the handout's functions -----------------------------------------------
def sgd(lines):
    """sgd_momentum with its lines (key, velocity, store, step) as given."""
    key, velocity, store, step = lines
    return f'''
def sgd_momentum(variables, gradients, config, state):
    state.setdefault("accumulated_grads", {{}})
    k = 0
    for layer_variables, layer_gradients in zip(variables, gradients):
        for variable, gradient in zip(layer_variables, layer_gradients):
            {key}
            {velocity}
            {store}
            {step}
            k += 1
'''


SGD = ('v = state["accumulated_grads"].get(k, np.zeros_like(gradient))',
       'v = config["momentum"] * v + config["learning_rate"] * gradient',
       'state["accumulated_grads"][k] = v',
       "variable -= v")


def sgd_with(line, wrong):
    return sgd([f"{wrong}  # right: {right}" if n == line else right for n, right in enumerate(SGD)])


written("SGD", "momentum_ignored", sgd_with(1, 'v = config["learning_rate"] * gradient'))
written("SGD", "ascent", sgd_with(3, "variable += v"))
written("SGD", "shared_velocity", sgd([
    f'v = state["accumulated_grads"].get(0, np.zeros_like(gradient))  # right: {SGD[0]}',
    SGD[1], f'state["accumulated_grads"][0] = v  # right: {SGD[2]}', SGD[3]]))
written("SGD", "lr_on_velocity", sgd_with(1, 'v = config["learning_rate"] * (config["momentum"] * v + gradient)'))
written("SGD", "not_in_place", sgd_with(3, "variable = variable - v"))


def adam(count, per_variable, m_hat, v_hat):
    """adam_optimizer with its lines (the step count, its increase per variable or "", m_hat, v_hat) as given."""
    return "\n".join(line for line in f'''
def adam_optimizer(variables, gradients, config, state):
    state.setdefault("m", {{}})
    state.setdefault("v", {{}})
    {count}
    lr, beta1, beta2, eps = config["learning_rate"], config["beta1"], config["beta2"], config["epsilon"]
    k = 0
    for layer_variables, layer_gradients in zip(variables, gradients):
        for variable, gradient in zip(layer_variables, layer_gradients):
            {per_variable}
            m = beta1 * state["m"].get(k, 0) + (1 - beta1) * gradient
            v = beta2 * state["v"].get(k, 0) + (1 - beta2) * gradient ** 2
            state["m"][k], state["v"][k] = m, v
            {m_hat}
            {v_hat}
            variable -= lr * m_hat / (np.sqrt(v_hat) + eps)
            k += 1
'''.splitlines() if line.strip())


COUNT, M_HAT, V_HAT = ('state["t"] = state.get("t", 0) + 1', 'm_hat = m / (1 - beta1 ** state["t"])',
                       'v_hat = v / (1 - beta2 ** state["t"])')
written("Adam", "no_bias_correction", adam(COUNT, "", f"m_hat = m  # right: {M_HAT}", f"v_hat = v  # right: {V_HAT}"))
written("Adam", "t_per_variable", adam(f'state["t"] = state.get("t", 0)  # right: {COUNT}',
                                       'state["t"] += 1  # right: -', M_HAT, V_HAT))
