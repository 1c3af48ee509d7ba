"""The catalogue's layer mistakes: Linear, SoftMax, LogSoftMax, BatchNormalization, Scaling, Dropout,
Flatten and the activations, each the engine's layer with one method replaced."""
import numpy as np

from i18n import N_

from .. import activations, batchnorm, dropout, flatten, linear, scaling, softmax
from ..softmax import log_softmax
from .catalogue import entry


# --- Linear ---------------------------------------------------------------------------------------
def _accumulate(self, input, grad_output):
    for name, value in (("gradW", input.T @ grad_output), ("gradb", grad_output.sum(axis=0))):
        getattr(self, name)[...] += value


entry("Linear", "bias_mean", N_("gradb averaged over the batch"),
      N_("The bias gets one gradient per sample and they add up: sum over the batch, do not average."),
      "dL/db = sum_n g_n", linear.Linear,
      update_grad_params=lambda self, x, g: (self.gradW.__setitem__(Ellipsis, x.T @ g),
                                             self.gradb.__setitem__(Ellipsis, g.mean(axis=0))))
entry("Linear", "weight_mean", N_("gradW divided by the batch size"),
      N_("The criterion already divides by N; the layer must not divide again."),
      "dL/dW = x^T g", linear.Linear,
      update_grad_params=lambda self, x, g: (self.gradW.__setitem__(Ellipsis, x.T @ g / len(x)),
                                             self.gradb.__setitem__(Ellipsis, g.sum(axis=0))))
entry("Linear", "accumulate", N_("gradients added to instead of overwritten"),
      N_("update_grad_params computes this batch's gradient: assign it (gradW[...] = ...), do not add to it."),
      "gradW[...] = x^T g;  gradb[...] = sum_n g_n", linear.Linear, update_grad_params=_accumulate)
entry("Linear", "no_bias", N_("the bias left out of the forward"),
      N_("The affine layer adds b to every row after the product."),
      "y = x W + b", linear.Linear, update_output=lambda self, x: setattr(self, "output", x @ self.W) or self.output)
entry("Linear", "grad_input_W", N_("grad_input multiplied by W instead of W^T (square layers only)"),
      N_("Backward goes the other way through the layer: multiply by W transposed."),
      "dL/dx = g W^T", linear.Linear,
      update_grad_input=lambda self, x, g: setattr(self, "grad_input", g @ self.W) or self.grad_input)


# --- SoftMax and LogSoftMax ---------------------------------------------------------------------------
def _softmax_raw(self, x):
    e = np.exp(x)
    self.output = e / e.sum(axis=1, keepdims=True)
    return self.output


def _set_grad(function):
    """update_grad_input from function(self, x, g) -> grad_input."""
    def update_grad_input(self, x, g):
        self.grad_input = function(self, x, g)
        return self.grad_input
    return update_grad_input


def _softmax(x):
    return np.exp(log_softmax(x))


entry("SoftMax", "diagonal", N_("only the Jacobian's diagonal used"),
      N_("Every output of a row depends on every input of the row: the Jacobian is diag(a) - a a^T, not diag(a(1-a))."),
      "dL/dx_i = a_i (g_i - sum_j g_j a_j)", softmax.SoftMax,
      update_grad_input=_set_grad(lambda self, x, g: g * _softmax(x) * (1 - _softmax(x))))
entry("SoftMax", "no_shift", N_("exp without subtracting the row maximum"),
      N_("exp(1000) overflows: subtract each row's maximum first, which leaves the softmax unchanged."),
      "a_i = exp(x_i - max_j x_j) / sum_k exp(x_k - max_j x_j)", softmax.SoftMax, update_output=_softmax_raw)
entry("SoftMax", "columns", N_("normalised over the batch (axis 0) instead of each row"),
      N_("Each sample is its own distribution: sum over the classes of a row, axis=1."),
      "a_ni = exp(x_ni) / sum_j exp(x_nj)", softmax.SoftMax,
      update_output=lambda self, x: setattr(self, "output", np.exp(x - x.max(0)) / np.exp(x - x.max(0)).sum(0))
      or self.output)
entry("LogSoftMax", "row_sum_forgotten", N_("the sum over the row forgotten in backward"),
      N_("Each input of a row moves every output of the row: multiply softmax by the row's sum of g, not by g itself."),
      "dL/dx_i = g_i - a_i sum_j g_j,  a = softmax(x)", softmax.LogSoftMax,
      update_grad_input=_set_grad(lambda self, x, g: g - _softmax(x) * g))
entry("LogSoftMax", "minus_softmax", N_("grad_input = g - softmax(x)"),
      N_("That is the gradient only when the row of g sums to 1; in general softmax is scaled by the row's sum of g."),
      "dL/dx_i = g_i - a_i sum_j g_j", softmax.LogSoftMax,
      update_grad_input=_set_grad(lambda self, x, g: g - _softmax(x)))
entry("LogSoftMax", "no_shift", N_("log of a sum of exp without subtracting the row maximum"),
      N_("exp(1000) overflows: compute x - max - log(sum exp(x - max))."),
      "b_i = (x_i - m) - log sum_j exp(x_j - m),  m = max_j x_j", softmax.LogSoftMax,
      update_output=lambda self, x: setattr(self, "output", x - np.log(np.exp(x).sum(axis=1, keepdims=True)))
      or self.output)


# --- BatchNormalization ---------------------------------------------------------------------------
def _bn_statistics(ddof=0, eps_outside=False):
    def batch_statistics(self, x):
        mean, variance = x.mean(axis=0), x.var(axis=0, ddof=ddof)
        inv_std = 1.0 / (np.sqrt(variance) + self.EPS) if eps_outside else 1.0 / np.sqrt(variance + self.EPS)
        return (x - mean) * inv_std, inv_std, mean, variance
    return batch_statistics


def _bn_moving_in_evaluate(self, x):
    output = batchnorm.BatchNormalization.update_output(self, x)
    if not self.training:
        _, _, mean, variance = self.batch_statistics(x)
        self.moving_mean = self.alpha * self.moving_mean + (1 - self.alpha) * mean
        self.moving_variance = self.alpha * self.moving_variance + (1 - self.alpha) * variance
    return output


def _bn_alpha_swapped(self, x):
    self.alpha = 1 - self.alpha
    try:
        return batchnorm.BatchNormalization.update_output(self, x)
    finally:
        self.alpha = 1 - self.alpha


entry("BatchNormalization", "unbiased", N_("the unbiased batch variance (divided by N-1)"),
      N_("Batch normalisation divides by N: np.var(x, axis=0), not ddof=1."),
      "var_B = sum_n (x_n - mu_B)^2 / N", batchnorm.BatchNormalization, batch_statistics=_bn_statistics(ddof=1))
entry("BatchNormalization", "eps_outside", N_("EPS added outside the square root"),
      N_("EPS goes inside: sqrt(var_B + EPS)."),
      "y = (x - mu_B) / sqrt(var_B + EPS)", batchnorm.BatchNormalization,
      batch_statistics=_bn_statistics(eps_outside=True))
entry("BatchNormalization", "constant_statistics", N_("mean and variance treated as constants in backward"),
      N_("mu_B and var_B depend on every x of the batch; their derivatives add two terms."),
      "dL/dx = (N g - sum g - x_hat sum(g x_hat)) / (N sqrt(var_B + EPS))", batchnorm.BatchNormalization,
      update_grad_input=_set_grad(lambda self, x, g: g / np.sqrt(x.var(axis=0) + self.EPS)))
entry("BatchNormalization", "alpha_swapped", N_("the moving statistics with alpha and 1 - alpha swapped"),
      N_("alpha is the weight of the old moving value."),
      "moving_mean = alpha * moving_mean + (1 - alpha) * mu_B", batchnorm.BatchNormalization,
      update_output=_bn_alpha_swapped)
entry("BatchNormalization", "moving_in_evaluate", N_("the moving statistics updated in evaluate mode too"),
      N_("Only training batches update moving_mean and moving_variance; evaluate mode only reads them."),
      N_("evaluate: y = (x - moving_mean) / sqrt(moving_variance + EPS), the statistics unchanged"),
      batchnorm.BatchNormalization, update_output=_bn_moving_in_evaluate)
entry("BatchNormalization", "batch_stats_in_evaluate", N_("the batch statistics used in evaluate mode"),
      N_("In evaluate mode the layer uses the moving statistics it collected while training."),
      "evaluate: y = (x - moving_mean) / sqrt(moving_variance + EPS)", batchnorm.BatchNormalization,
      update_output=lambda self, x: batchnorm.BatchNormalization.update_output(self, x) if self.training
      else setattr(self, "output", self.batch_statistics(x)[0]) or self.output)


# --- Scaling ------------------------------------------------------------------------------------------
entry("Scaling", "grad_input_no_gamma", N_("grad_input without the factor gamma"),
      N_("The output is x * gamma, so the gradient of x is g * gamma."),
      "dL/dx = g * gamma", scaling.Scaling, update_grad_input=_set_grad(lambda self, x, g: g.copy()))
entry("Scaling", "mean_over_batch", N_("gradGamma and gradBeta averaged over the batch"),
      N_("Like a bias, gamma and beta collect one gradient per sample: sum them."),
      "dL/dgamma = sum_n g_n * x_n;  dL/dbeta = sum_n g_n", scaling.Scaling,
      update_grad_params=lambda self, x, g: (self.gradGamma.__setitem__(Ellipsis, (g * x).mean(0, keepdims=True)),
                                             self.gradBeta.__setitem__(Ellipsis, g.mean(0, keepdims=True))))
entry("Scaling", "gamma_grad_no_x", N_("gradGamma without the factor x"),
      N_("gamma multiplies x, so its gradient is g times x."),
      "dL/dgamma = sum_n g_n * x_n", scaling.Scaling,
      update_grad_params=lambda self, x, g: (self.gradGamma.__setitem__(Ellipsis, g.sum(0, keepdims=True)),
                                             self.gradBeta.__setitem__(Ellipsis, g.sum(0, keepdims=True))))


# --- Dropout --------------------------------------------------------------------------------------
def _dropout_mask(keep_is_p=False, scale=True):
    def sample_mask(self, shape, dtype):
        keep_probability = self.p if keep_is_p else 1 - self.p
        keep = np.random.random(shape) < keep_probability
        return keep.astype(dtype) / (dtype.type(keep_probability) if scale else 1)
    return sample_mask


entry("Dropout", "p_is_keep", N_("p taken as the probability to keep a unit"),
      N_("In this course p is the probability to zero a unit: keep each with probability 1 - p."),
      N_("y = x * M / (1 - p),  M_ij = 1 with probability 1 - p"), dropout.Dropout,
      sample_mask=_dropout_mask(keep_is_p=True))
entry("Dropout", "no_rescale", N_("the kept units not rescaled by 1/(1-p)"),
      N_("Without 1/(1-p) the expected output shrinks while training and the evaluate mode no longer matches it."),
      "y = x * M / (1 - p)", dropout.Dropout, sample_mask=_dropout_mask(scale=False))
entry("Dropout", "drops_in_evaluate", N_("units dropped in evaluate mode too"),
      N_("Evaluate mode passes the input through unchanged."),
      "evaluate: y = x", dropout.Dropout,
      update_output=lambda self, x: dropout.Dropout.update_output(self, x) if self.training
      else setattr(self, "output", x * self.sample_mask(x.shape, x.dtype)) or self.output)
entry("Dropout", "new_mask_in_backward", N_("backward draws a new mask"),
      N_("Backward must use the forward's mask: the units that were zeroed pass no gradient."),
      N_("dL/dx = g * M / (1 - p), the same M"), dropout.Dropout,
      update_grad_input=_set_grad(lambda self, x, g: g * self.sample_mask(x.shape, x.dtype)))


# --- Flatten and the activations --------------------------------------------------------------------
entry("Flatten", "order_F", N_("flattened in column-major (Fortran) order"),
      N_("Keep NumPy's row-major order, so that backward's reshape undoes forward's."),
      "y = x.reshape(N, -1)", flatten.Flatten,
      update_output=lambda self, x: setattr(self, "output", x.reshape(len(x), -1, order="F")) or self.output)
entry("Flatten", "backward_not_reshaped", N_("grad_output returned without reshaping it back"),
      N_("grad_input has the input's shape: reshape g to x.shape."),
      "dL/dx = g.reshape(x.shape)", flatten.Flatten, update_grad_input=_set_grad(lambda self, x, g: g))
entry("ReLU", "passes_all", N_("the gradient passed where x <= 0"),
      N_("ReLU is flat for x <= 0: no gradient passes there."),
      "dL/dx = g * [x > 0]", activations.ReLU, update_grad_input=_set_grad(lambda self, x, g: g.copy()))
entry("ReLU", "output_times_g", N_("grad_input = g * output"),
      N_("The derivative of max(0, x) is 1 or 0, not the output itself."),
      "dL/dx = g * [x > 0]", activations.ReLU, update_grad_input=_set_grad(lambda self, x, g: g * np.maximum(x, 0)))
entry("LeakyReLU", "slope_fixed", N_("the slope fixed at 0.03 instead of the constructor's"),
      N_("Use self.slope: the layer is built with its own slope."),
      "y = x if x > 0 else slope * x", activations.LeakyReLU,
      function=lambda self, x: np.where(x > 0, x, 0.03 * x),
      derivative=lambda self, x: np.where(x > 0, 1.0, 0.03))
entry("LeakyReLU", "relu_backward", N_("the negative side's derivative taken as 0"),
      N_("For x <= 0 the layer is slope * x, so its derivative there is slope."),
      "dL/dx = g if x > 0 else slope * g", activations.LeakyReLU,
      derivative=lambda self, x: (x > 0).astype(x.dtype))
entry("ELU", "alpha_fixed", N_("alpha fixed at 1 instead of the constructor's"),
      N_("Use self.alpha, in the forward and in the derivative."),
      "y = x if x > 0 else alpha (e^x - 1);  dy/dx = 1 or alpha e^x", activations.ELU,
      function=lambda self, x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
      derivative=lambda self, x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))))
entry("ELU", "derivative_no_alpha", N_("the derivative for x <= 0 without alpha"),
      N_("The derivative of alpha (e^x - 1) is alpha e^x."),
      N_("dy/dx = alpha e^x for x <= 0"), activations.ELU,
      derivative=lambda self, x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))))
entry("ELU", "overflow", N_("exp computed for every x (np.where evaluates both sides)"),
      N_("np.where computes both branches: exp(1000) overflows for the large positive inputs; use exp(min(x, 0))."),
      "y = x if x > 0 else alpha (e^min(x,0) - 1)", activations.ELU,
      function=lambda self, x: np.where(x > 0, x, self.alpha * (np.exp(x) - 1)))
entry("SoftPlus", "derivative_exp", N_("the derivative taken as e^x"),
      N_("d/dx log(1 + e^x) = e^x / (1 + e^x), the sigmoid."),
      "dy/dx = 1 / (1 + e^-x)", activations.SoftPlus, derivative=lambda self, x: np.exp(x))
entry("SoftPlus", "derivative_sign", N_("the derivative taken as sigmoid(-x)"),
      N_("The derivative of log(1 + e^x) is sigmoid(x) = 1 / (1 + e^-x)."),
      "dy/dx = 1 / (1 + e^-x)", activations.SoftPlus, derivative=lambda self, x: 1 / (1 + np.exp(x)))
entry("SoftPlus", "overflow", N_("log(1 + exp(x)) computed directly"),
      N_("exp(1000) overflows: use np.logaddexp(0, x), or x + log(1 + e^-x) for x > 0."),
      "y = log(1 + e^x) = max(x, 0) + log(1 + e^-|x|)", activations.SoftPlus,
      function=lambda self, x: np.log(1 + np.exp(x)))
