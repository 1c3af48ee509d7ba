"""The layer mistakes as a student writes them: the handout's methods, each wrong line followed by the right one.

Shown by the Bug hunt after Submit; tests/grade/test_written.py runs each text as a layer's methods and checks
that it computes what the catalogue's variant computes, and with the right lines what the engine computes.
"""
from .catalogue import written


def method(name, args, lines, result=None):
    """def name(self, args): with the lines, then `return self.result` when given."""
    body = [f"    {line}" for line in lines] + ([f"    return self.{result}"] if result else [])
    return "\n".join([f"def {name}(self, {args}):"] + body) + "\n"


def output(*lines):
    return method("update_output", "input", lines, "output")


def grad_input(*lines):
    return method("update_grad_input", "input, grad_output", lines, "grad_input")


def grad_params(*lines):
    return method("update_grad_params", "input, grad_output", lines)


# --- Linear ---------------------------------------------------------------------------------------
written("Linear", "bias_mean", grad_params(
    "self.gradW[...] = input.T @ grad_output",
    "self.gradb[...] = grad_output.mean(axis=0)  # right: self.gradb[...] = grad_output.sum(axis=0)"))
written("Linear", "weight_mean", grad_params(
    "self.gradW[...] = input.T @ grad_output / len(input)  # right: self.gradW[...] = input.T @ grad_output",
    "self.gradb[...] = grad_output.sum(axis=0)"))
written("Linear", "accumulate", grad_params(
    "self.gradW += input.T @ grad_output  # right: self.gradW[...] = input.T @ grad_output",
    "self.gradb += grad_output.sum(axis=0)  # right: self.gradb[...] = grad_output.sum(axis=0)"))
written("Linear", "no_bias", output("self.output = input @ self.W  # right: self.output = input @ self.W + self.b"))
written("Linear", "grad_input_W", grad_input(
    "self.grad_input = grad_output @ self.W  # right: self.grad_input = grad_output @ self.W.T"))


# --- SoftMax and LogSoftMax -----------------------------------------------------------------------------
SHIFTED = "exps = np.exp(input - input.max(axis=1, keepdims=True))"
written("SoftMax", "diagonal", grad_input(
    "a = self.output",
    "self.grad_input = grad_output * a * (1 - a)  "
    "# right: self.grad_input = a * (grad_output - (grad_output * a).sum(axis=1, keepdims=True))"))
written("SoftMax", "no_shift", output(
    f"exps = np.exp(input)  # right: {SHIFTED}",
    "self.output = exps / exps.sum(axis=1, keepdims=True)"))
written("SoftMax", "columns", output(
    f"exps = np.exp(input - input.max(axis=0))  # right: {SHIFTED}",
    "self.output = exps / exps.sum(axis=0)  # right: self.output = exps / exps.sum(axis=1, keepdims=True)"))
written("LogSoftMax", "row_sum_forgotten", grad_input(
    "softmax = np.exp(self.output)",
    "self.grad_input = grad_output - softmax * grad_output  "
    "# right: self.grad_input = grad_output - softmax * grad_output.sum(axis=1, keepdims=True)"))
written("LogSoftMax", "minus_softmax", grad_input(
    "softmax = np.exp(self.output)",
    "self.grad_input = grad_output - softmax  "
    "# right: self.grad_input = grad_output - softmax * grad_output.sum(axis=1, keepdims=True)"))
written("LogSoftMax", "no_shift", output(
    "shifted = input  # right: shifted = input - input.max(axis=1, keepdims=True)",
    "self.output = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))"))


# --- BatchNormalization ----------------------------------------------------------------------------
def statistics(mean_line, variance_line, inv_std_line):
    """The engine's batch_statistics with its lines as given."""
    return method("batch_statistics", "input", [mean_line, variance_line, inv_std_line,
                                                "return (input - mean) * inv_std, inv_std, mean, variance"])


MEAN, VARIANCE = "mean = input.mean(axis=0)", "variance = input.var(axis=0)"
INV_STD = "inv_std = 1.0 / np.sqrt(variance + self.EPS)"
EVALUATE = "self.output = (input - self.moving_mean) / np.sqrt(self.moving_variance + self.EPS)"
MOVING = ("self.moving_mean = self.alpha * self.moving_mean + (1 - self.alpha) * mean",
          "self.moving_variance = self.alpha * self.moving_variance + (1 - self.alpha) * variance")
TRAINING = "self.output = (input - mean) / np.sqrt(variance + self.EPS)"
written("BatchNormalization", "unbiased", statistics(
    MEAN, f"variance = input.var(axis=0, ddof=1)  # right: {VARIANCE}", INV_STD))
written("BatchNormalization", "eps_outside", statistics(
    MEAN, VARIANCE, f"inv_std = 1.0 / (np.sqrt(variance) + self.EPS)  # right: {INV_STD}"))
written("BatchNormalization", "constant_statistics", grad_input(
    "if not self.training:",
    "    self.grad_input = grad_output / np.sqrt(self.moving_variance + self.EPS)",
    "    return self.grad_input",
    "x_hat, inv_std, _, _ = self.batch_statistics(input)",
    "n = len(input)",
    "self.grad_input = grad_output * inv_std  # right: self.grad_input = (n * grad_output - grad_output.sum(axis=0) "
    "- x_hat * (grad_output * x_hat).sum(axis=0)) * inv_std / n"))
written("BatchNormalization", "alpha_swapped", output(
    "if not self.training:",
    f"    {EVALUATE}",
    "    return self.output",
    MEAN, VARIANCE,
    TRAINING,
    f"self.moving_mean = (1 - self.alpha) * self.moving_mean + self.alpha * mean  # right: {MOVING[0]}",
    f"self.moving_variance = (1 - self.alpha) * self.moving_variance + self.alpha * variance  # right: {MOVING[1]}"))
written("BatchNormalization", "moving_in_evaluate", output(
    MEAN, VARIANCE,
    "if self.training:",
    f"    {TRAINING}",
    "else:",
    f"    {EVALUATE}",
    f"{MOVING[0]}  # right: if self.training: {MOVING[0]}",
    f"{MOVING[1]}  # right: if self.training: {MOVING[1]}"))
written("BatchNormalization", "batch_stats_in_evaluate", output(
    MEAN, VARIANCE,
    "if self.training:",
    f"    {TRAINING}",
    f"    {MOVING[0]}",
    f"    {MOVING[1]}",
    "else:",
    f"    {TRAINING}  # right: {EVALUATE}"))


# --- Scaling ------------------------------------------------------------------------------------------
GAMMA, BETA = "(grad_output * input).sum(axis=0, keepdims=True)", "grad_output.sum(axis=0, keepdims=True)"
written("Scaling", "grad_input_no_gamma", grad_input(
    "self.grad_input = grad_output  # right: self.grad_input = grad_output * self.gamma"))
written("Scaling", "mean_over_batch", grad_params(
    f"self.gradGamma[...] = (grad_output * input).mean(axis=0, keepdims=True)  # right: self.gradGamma[...] = {GAMMA}",
    f"self.gradBeta[...] = grad_output.mean(axis=0, keepdims=True)  # right: self.gradBeta[...] = {BETA}"))
written("Scaling", "gamma_grad_no_x", grad_params(
    f"self.gradGamma[...] = {BETA}  # right: self.gradGamma[...] = {GAMMA}",
    f"self.gradBeta[...] = {BETA}"))


# --- Dropout --------------------------------------------------------------------------------------
MASK = "self.mask = (np.random.random(input.shape) >= self.p) / (1 - self.p)"


def dropout_forward(mask_line):
    return output("if not self.training:", "    self.output = input", "    return self.output",
                  mask_line, "self.output = input * self.mask")


written("Dropout", "p_is_keep", dropout_forward(
    f"self.mask = (np.random.random(input.shape) >= 1 - self.p) / self.p  # right: {MASK}"))
written("Dropout", "no_rescale", dropout_forward(
    f"self.mask = (np.random.random(input.shape) >= self.p).astype(input.dtype)  # right: {MASK}"))
written("Dropout", "drops_in_evaluate", output(
    MASK, "self.output = input * self.mask  # right: self.output = input * self.mask if self.training else input"))
written("Dropout", "new_mask_in_backward", grad_input(
    "if not self.training:",
    "    self.grad_input = grad_output",
    "    return self.grad_input",
    "mask = (np.random.random(input.shape) >= self.p) / (1 - self.p)  # right: mask = self.mask",
    "self.grad_input = grad_output * mask"))


# --- Flatten and the activations --------------------------------------------------------------------
written("Flatten", "order_F", output(
    'self.output = input.reshape(len(input), -1, order="F")  # right: self.output = input.reshape(len(input), -1)'))
written("Flatten", "backward_not_reshaped", grad_input(
    "self.grad_input = grad_output  # right: self.grad_input = grad_output.reshape(input.shape)"))
RELU = "self.grad_input = grad_output * (input > 0)"
written("ReLU", "passes_all", grad_input(f"self.grad_input = grad_output  # right: {RELU}"))
written("ReLU", "output_times_g", grad_input(f"self.grad_input = grad_output * self.output  # right: {RELU}"))
LEAKY = "self.grad_input = grad_output * np.where(input > 0, 1.0, self.slope)"
written("LeakyReLU", "slope_fixed", output(
    "self.output = np.where(input > 0, input, 0.03 * input)  "
    "# right: self.output = np.where(input > 0, input, self.slope * input)"), grad_input(
    f"self.grad_input = grad_output * np.where(input > 0, 1.0, 0.03)  # right: {LEAKY}"))
written("LeakyReLU", "relu_backward", grad_input(f"self.grad_input = grad_output * (input > 0)  # right: {LEAKY}"))
NEGATIVE = "np.exp(np.minimum(input, 0))"  # e^x where x <= 0, never overflowing
ELU = f"self.output = np.where(input > 0, input, self.alpha * ({NEGATIVE} - 1))"
ELU_GRAD = f"self.grad_input = grad_output * np.where(input > 0, 1.0, self.alpha * {NEGATIVE})"
written("ELU", "alpha_fixed", output(
    f"self.output = np.where(input > 0, input, {NEGATIVE} - 1)  # right: {ELU}"), grad_input(
    f"self.grad_input = grad_output * np.where(input > 0, 1.0, {NEGATIVE})  # right: {ELU_GRAD}"))
written("ELU", "derivative_no_alpha", grad_input(
    f"self.grad_input = grad_output * np.where(input > 0, 1.0, {NEGATIVE})  # right: {ELU_GRAD}"))
written("ELU", "overflow", output(
    f"self.output = np.where(input > 0, input, self.alpha * (np.exp(input) - 1))  # right: {ELU}"))
SIGMOID = "self.grad_input = grad_output / (1 + np.exp(-input))"
written("SoftPlus", "derivative_exp", grad_input(f"self.grad_input = grad_output * np.exp(input)  # right: {SIGMOID}"))
written("SoftPlus", "derivative_sign", grad_input(
    f"self.grad_input = grad_output / (1 + np.exp(input))  # right: {SIGMOID}"))
written("SoftPlus", "overflow", output(
    "self.output = np.log(1 + np.exp(input))  # right: self.output = np.logaddexp(0, input)"))
