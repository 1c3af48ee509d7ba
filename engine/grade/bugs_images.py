"""The catalogue's mistakes in the image layers and Adam: Conv2d, MaxPool2d and adam_optimizer."""
import numpy as np

from i18n import N_

from .. import conv, pool
from .catalogue import entry


# --- Conv2d ---------------------------------------------------------------------------------------
def _conv_grad_input_unflipped(self, x, g):
    """pad(g) correlated with the channel-swapped kernel as it is, not flipped."""
    swapped = np.ascontiguousarray(self.W.transpose(1, 0, 2, 3))  # (C_in, C_out, k, k)
    columns = conv.columns(g, self.kernel_size)
    self.grad_input = np.matmul(swapped.reshape(self.in_channels, -1), columns).reshape(x.shape)
    return self.grad_input


def _conv_params_averaged(self, x, g):
    conv.Conv2d.update_grad_params(self, x, g)
    self.gradW /= len(x)
    self.gradb /= len(x)


entry("Conv2d", "not_flipped", N_("grad_input correlated with the kernel as it is, not flipped"),
      N_("Output (i, j) saw input (i+a-p, j+b-p) through W[a, b]; going back, input (i, j) gets the outputs "
      "around it through the kernel turned by 180 degrees: a full correlation with the flipped kernel."),
      "dL/dx[c,i,j] = sum_{o,a,b} W[o,c,k-1-a,k-1-b] g_pad[o,i+a,j+b]", conv.Conv2d,
      update_grad_input=_conv_grad_input_unflipped)
entry("Conv2d", "params_averaged", N_("gradW and gradb averaged over the batch"),
      N_("The kernel is shared by every sample and every position: its gradient is their sum, not a mean."),
      "dL/dW[o,c,a,b] = sum_{n,i,j} g[n,o,i,j] x_pad[n,c,i+a,j+b];  dL/db[o] = sum_{n,i,j} g[n,o,i,j]",
      conv.Conv2d, update_grad_params=_conv_params_averaged)


# --- MaxPool2d ------------------------------------------------------------------------------------
def _pool_route(mask):
    """update_grad_input that sends g[n,c,i,j] to the window entries mask(windows, maxima) marks."""
    def update_grad_input(self, x, g):
        n, c, h, w = x.shape
        k = self.kernel_size
        windows = x.reshape(n, c, h // k, k, w // k, k)
        chosen = mask(windows, windows.max(axis=(3, 5), keepdims=True))
        self.grad_input = (chosen * g[:, :, :, None, :, None]).reshape(x.shape)
        return self.grad_input
    return update_grad_input


def _last_maximum(windows, maxima):
    """1 at the last maximum of each window in row-major order."""
    n, c, ho, k, wo, _ = windows.shape
    flat = windows.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, ho, wo, k * k)
    last = k * k - 1 - flat[..., ::-1].argmax(axis=-1)
    one_hot = np.arange(k * k) == last[..., None]
    return one_hot.reshape(n, c, ho, wo, k, k).transpose(0, 1, 2, 4, 3, 5)


entry("MaxPool2d", "spread", N_("the gradient copied to every entry of the window"),
      N_("Only the maximum reached the output: the other entries of the window had no effect on it."),
      N_("dL/dx = g at the window's maximum, 0 elsewhere"), pool.MaxPool2d,
      update_grad_input=_pool_route(lambda windows, maxima: np.ones_like(windows)))
entry("MaxPool2d", "every_tie", N_("the gradient given to every entry equal to the maximum"),
      N_("On a tie only one entry is the output (the first in row-major order, as torch): the gradient goes "
         "there once."),
      N_("dL/dx = g at the first maximum of the window, 0 elsewhere"), pool.MaxPool2d,
      update_grad_input=_pool_route(lambda windows, maxima: windows == maxima))
entry("MaxPool2d", "last_tie", N_("ties sent to the last maximum instead of the first"),
      N_("argmax takes the first maximum in row-major order, as torch does: keep that one on ties."),
      N_("dL/dx = g at the first maximum of the window, 0 elsewhere"), pool.MaxPool2d,
      update_grad_input=_pool_route(_last_maximum))


# --- adam_optimizer -------------------------------------------------------------------------------
def _adam_variant(bias_corrected, t_per_variable):
    def adam(variables, gradients, config, state):
        ms, vs = state.setdefault("m", []), state.setdefault("v", [])
        flat = [(v, g) for layer_v, layer_g in zip(variables, gradients) for v, g in zip(layer_v, layer_g)]
        state["t"] = state.get("t", 0) + (0 if t_per_variable else 1)
        for k, (variable, gradient) in enumerate(flat):
            if t_per_variable:
                state["t"] += 1
            if k == len(ms):
                ms.append(np.zeros_like(gradient))
                vs.append(np.zeros_like(gradient))
            ms[k] = config["beta1"] * ms[k] + (1 - config["beta1"]) * gradient
            vs[k] = config["beta2"] * vs[k] + (1 - config["beta2"]) * gradient ** 2
            t = state["t"]
            m_hat, v_hat = (ms[k] / (1 - config["beta1"] ** t), vs[k] / (1 - config["beta2"] ** t)) \
                if bias_corrected else (ms[k], vs[k])
            variable -= config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return adam


entry("Adam", "no_bias_correction", N_("m and v used without the bias correction"),
      N_("m and v start at 0, so early on they are too small by 1 - beta^t: divide by it before the step."),
      "m_hat = m / (1 - beta1^t);  v_hat = v / (1 - beta2^t);  w -= lr m_hat / (sqrt(v_hat) + eps)",
      step=_adam_variant(bias_corrected=False, t_per_variable=False))
entry("Adam", "t_per_variable", N_("the step count t increased once per variable instead of once per step"),
      N_("t counts the optimizer's steps: add 1 once per call, before the loop over the variables."),
      N_("t += 1 once per step;  m_hat = m / (1 - beta1^t)"),
      step=_adam_variant(bias_corrected=True, t_per_variable=True))
