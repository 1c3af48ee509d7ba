"""LaTeX of Conv2d and MaxPool2d, forward and backward, for viz.formulas (which registers them).

A convolution's backward is two correlations: the input's gradient correlates the output's gradient
with the flipped kernel (a full correlation), the kernel's gradient correlates the input with the
output's gradient. Indices are written with the zero padding r = k // 2 of a "same" convolution.
"""
from i18n import domain

_, ngettext = domain("viz")


def conv2d_forward(layer, i, o):
    """y[n,o,i,j] = b[o] + sum_{c,p,q} W[o,c,p,q] x[n,c,i+p-r,j+q-r];  (N,C_in,H,W) -> (N,C_out,H,W)."""
    from viz.formulas import dims, note
    k, r = layer.kernel_size, layer.kernel_size // 2
    return [rf"y_{{n,o,i,j}} &= b_o + \sum_{{c=0}}^{{{layer.in_channels - 1}}} \sum_{{p,q=0}}^{{{k - 1}}} "
            rf"W_{{o,c,p,q}}\, x_{{n,c,\,i+p-{r},\,j+q-{r}}} " + note(rf"{dims(i)} \to {dims(o)}"),
            r"&\text{" + _("$x$ is 0 outside the image (padding {r}), stride 1").format(r=r) + "} "
            + note(rf"W: {dims((layer.out_channels, layer.in_channels, k, k))}")]


def conv2d_backward(layer, i, o):
    """dL/dx: g correlated with the flipped kernel (full); dL/dW: x correlated with g; dL/db: sum of g."""
    from viz.formulas import d, dims, note
    k, r = layer.kernel_size, layer.kernel_size // 2
    g = r"\frac{\partial L}{\partial y_{n,o,\,i-p+%d,\,j-q+%d}}" % (r, r)
    return [rf"{d('x_{n,c,i,j}')} &= \sum_{{o}} \sum_{{p,q=0}}^{{{k - 1}}} {g}\, W_{{o,c,p,q}} "
            + note(r"\text{" + _("full correlation with the flipped kernel") + rf"}}\ {dims(i)}"),
            rf"{d('W_{o,c,p,q}')} &= \sum_{{n}} \sum_{{i,j}} x_{{n,c,\,i+p-{r},\,j+q-{r}}}\, "
            rf"{d('y_{n,o,i,j}')} " + note(r"\text{" + _("input correlated with the gradient") + r"}\ "
                                            + dims((layer.out_channels, layer.in_channels, k, k))),
            rf"{d('b_o')} &= \sum_{{n,i,j}} {d('y_{n,o,i,j}')} " + note(dims((layer.out_channels,)))]


def maxpool2d_forward(layer, i, o):
    """y[n,c,i,j] = max over the k x k window (k i .. k i + k-1, k j .. k j + k-1) of x[n,c]."""
    from viz.formulas import dims, note
    k = layer.kernel_size
    return [rf"y_{{n,c,i,j}} &= \max_{{0 \le p,q < {k}}} x_{{n,c,\,{k}i+p,\,{k}j+q}} "
            + note(r"\text{" + _("windows of {k}").format(k=k) + rf"}}\times{{{k}}},\ \text{{"
                   + _("stride {k}").format(k=k) + rf"}}\quad {dims(i)} \to {dims(o)}")]


def maxpool2d_backward(layer, i, o):
    """dL/dx = g at each window's maximum (the first in row-major order on a tie), 0 elsewhere."""
    from viz.formulas import d, dims, note
    k = layer.kernel_size
    dx, dy = d(r"x_{n,c,\,%di+p,\,%dj+q}" % (k, k)), d("y_{n,c,i,j}")
    winner, otherwise = _("the window's maximum"), _("otherwise")
    return [rf"{dx} &= \begin{{cases}} {dy} & (p,q) = \text{{{winner}}} \\ 0 & \text{{{otherwise}}} \end{{cases}} "
            + note(r"\text{" + _("a tie: the first in row-major order") + rf"}}\ {dims(i)}")]


IMAGE_FORMULAS = {
    "Conv2d": (conv2d_forward, conv2d_backward),
    "MaxPool2d": (maxpool2d_forward, maxpool2d_backward),
}
