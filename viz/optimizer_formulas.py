"""LaTeX of the optimizers' steps with their numbers: SGD with momentum and Adam."""
from i18n import domain
from viz.formulas import aligned, d, dims, note, number, param_symbol

_, ngettext = domain("viz")


def update_formula(param_name, learning_rate, momentum, shape):
    """v <- momentum v + lr g;  w <- w - v, with the actual numbers (engine/optim.py's order and sign)."""
    w = param_symbol(param_name)
    v, g = rf"v_{{{w}}}", d(w)
    lr, mu = number(learning_rate), number(momentum)
    named_mu, named_lr = _("(momentum)"), _("(learning rate)")
    return aligned([rf"{v} &\leftarrow \mu\, {v} + \eta\, {g} = {mu}\, {v} + {lr}\, {g} " + note(dims(shape)),
                    rf"{w} &\leftarrow {w} - {v} "
                    + note(rf"\mu = {mu}\ \text{{{named_mu}}},\ \eta = {lr}\ \text{{{named_lr}}}")])


def adam_formula(param_name, config, shape):
    """Adam's bias-corrected step with its numbers: m, v, their corrections at step t, and w -= lr m^ / (sqrt(v^) + eps)."""
    w = param_symbol(param_name)
    g, this_step = d(w), _("(this step)")
    b1, b2, lr, eps, t = (number(config[key]) for key in ("beta1", "beta2", "learning_rate", "epsilon", "t"))
    return aligned([rf"m &\leftarrow \beta_1 m + (1 - \beta_1)\, {g} = {b1}\, m + {number(1 - config['beta1'])}\, {g} "
                    + note(dims(shape)),
                    rf"v &\leftarrow \beta_2 v + (1 - \beta_2)\, {g}^2 = {b2}\, v + {number(1 - config['beta2'])}\, "
                    rf"{g}^2",
                    r"\hat m &= \frac{m}{1 - \beta_1^{t}},\quad \hat v = \frac{v}{1 - \beta_2^{t}} "
                    + note(rf"t = {t}\ \text{{{this_step}}}"),
                    rf"{w} &\leftarrow {w} - \eta\, \frac{{\hat m}}{{\sqrt{{\hat v}} + \epsilon}} "
                    + note(rf"\eta = {lr},\ \epsilon = {eps}")])
