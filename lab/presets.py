"""Presets: ready experiments, each with one sentence on what it teaches."""
from dataclasses import replace
from typing import NamedTuple

from i18n import N_, domain

from .fitting import fit_to_data
from .layers import default_spec
from .network import NetworkConfig
from .origin import Origin
from .quoting import quoted

_, ngettext = domain("lab")


class Preset(NamedTuple):
    """upload: the preset trains on the learner's uploaded CSV (its config's dataset stands for it). heading and
    lesson are the English texts (marked for translation); title and teaches say them in the session's language."""

    heading: str
    lesson: str
    config: NetworkConfig
    upload: bool = False

    @property
    def title(self):
        return _(self.heading)

    @property
    def teaches(self):
        return _(self.lesson)


def stack(*layers):
    """("Linear", 2) -> {"kind": "Linear", "n_out": 2}; ("LeakyReLU", 0.1) sets its one argument;
    other arguments take their defaults."""
    arg_names = {"Linear": ("n_out",), "LeakyReLU": ("slope",), "ELU": ("alpha",), "Dropout": ("p",),
                 "BatchNormalization": ("alpha",), "Conv2d": ("out_channels", "kernel_size"),
                 "MaxPool2d": ("kernel_size",)}
    specs = []
    for layer in layers:
        kind, *values = (layer,) if isinstance(layer, str) else layer
        specs.append({**default_spec(kind), **dict(zip(arg_names.get(kind, ()), values))})
    return tuple(specs)


UPLOADED = "upload: your CSV"  # an upload preset's dataset until the learner's upload takes its place


PRESETS = {
    "handout": Preset(
        N_("The handout's example"),
        N_("One Linear layer and LogSoftMax on two blobs, a batch of 8: six stages, every tensor at most "
           "8 × 2, so you can follow every number by hand through forward, loss, backward and update."),
        NetworkConfig()),
    "circles": Preset(
        N_("Circles with a hidden layer"),
        N_("No straight line separates two circles: a single Linear stays near 50% test accuracy, while a "
           "hidden ReLU layer of 100 units bends the boundary (about 99% after one epoch on Train). In "
           "backward, each unit's gradient flows back only where it was active."),
        NetworkConfig(dataset="circles", batch_size=32, layers=stack(
            ("Linear", 100), "ReLU", ("Linear", 2), "LogSoftMax"), learning_rate=5e-2)),
    "digits": Preset(
        N_("Digits with an MLP"),
        N_("64 pixels -> 128 -> 128 -> 10 classes: the same stages at a realistic size. Every heatmap "
           "still shows every entry (W of layer 2 is 128 × 128), and the LogSoftMax Jacobian on the "
           "Jacobians page is a 10 × 10 picture rather than a table of numbers."),
        NetworkConfig(dataset="digits", batch_size=32, layers=stack(
            ("Linear", 128), "ReLU", ("Linear", 128), "ReLU", ("Linear", 10), "LogSoftMax"),
            learning_rate=5e-2)),
    "dying_relu": Preset(
        N_("Dying ReLUs"),
        N_("A learning rate of 1 throws hidden units where ReLU outputs zero for every sample. Train one "
           "epoch, then step: about half of each ReLU's 32 output columns are zero for the whole batch (a "
           "few at the start), and their weights' gradients are exactly zero. Compare with LeakyReLU on "
           "the Train page."),
        NetworkConfig(dataset="moons", batch_size=32, layers=stack(
            ("Linear", 32), "ReLU", ("Linear", 32), "ReLU", ("Linear", 2), "LogSoftMax"),
            learning_rate=1.0)),
    "high_lr": Preset(
        N_("A learning rate too high"),
        N_("With lr = 0.5 and momentum 0.9 each update overshoots more than the last: the loss of "
           "iteration 2 (New iteration) is over 15 times iteration 1's. Train it: within the first epoch "
           "the loss reaches inf and training stops, keeping the last working model. The squared error "
           "breaks first: (ŷ − y)² overflows at |ŷ| ≈ 10¹⁵⁴, while every layer's output is still finite."),
        NetworkConfig(dataset="regression", batch_size=32, layers=stack(
            ("Linear", 32), "ELU", ("Linear", 1)), criterion="MSECriterion", learning_rate=0.5)),
    "saturated_softmax": Preset(
        N_("Saturated SoftMax with the unstable NLL"),
        N_("With lr = 20, at iteration 2 (New iteration) SoftMax outputs exact 1s and p < 1e-15. Where the "
           "true class got p ≈ 0, NLLCriterionUnstable's gradient −1/(N p), clipped at p = 1e-15, reaches "
           "−1.25·10¹⁴, yet SoftMax's backward multiplies it by p: almost nothing of that mistake reaches "
           "the Linear layer. LogSoftMax with NLLCriterion would send back (a − y)/N ≈ ±0.125."),
        NetworkConfig(layers=stack(("Linear", 2), "SoftMax"), criterion="NLLCriterionUnstable",
                      learning_rate=20.0)),
    "dropout_batchnorm": Preset(
        N_("Dropout and BatchNorm: training vs evaluate"),
        N_("In training mode Dropout zeroes units at random and BatchNormalization uses the batch's own "
           "mean and variance, coupling the samples. Click New iteration once (BatchNorm collects moving "
           "statistics), then turn Training mode off: the same batch from the same weights, with Dropout "
           "passing its input through and BatchNorm using the moving statistics. Compare the outputs and "
           "the Jacobians."),
        NetworkConfig(dataset="circles", batch_size=16, layers=stack(
            ("Linear", 16), ("BatchNormalization", 0.9), "ReLU", ("Dropout", 0.5), ("Linear", 2),
            "LogSoftMax"), learning_rate=5e-2)),
    "cnn_digits": Preset(
        N_("A small CNN on digits"),
        N_("The digits reach the network as images (N, 1, 8, 8): four 3 × 3 kernels slide over each image, "
           "ReLU, then MaxPool2d keeps the largest of each 2 × 2 window, (N, 4, 4, 4), and Flatten gives "
           "Linear its 64 features. In backward, MaxPool2d sends each gradient to its window's winner only, "
           "and the kernels' gradient is a correlation of the input with grad_output: 40 weights learn from "
           "every pixel. On Train, one epoch reaches over 80% test accuracy and five over 90%."),
        NetworkConfig(dataset="digits", batch_size=32, layers=stack(
            ("Conv2d", 4, 3), "ReLU", ("MaxPool2d", 2), "Flatten", ("Linear", 10), "LogSoftMax"),
            learning_rate=0.1)),
    "cnn_csv": Preset(
        N_("A CNN on an uploaded MNIST CSV"),
        N_("Upload a Kaggle MNIST or Fashion-MNIST CSV first (Data, on the right). Its 28 × 28 images go "
           "through two convolutions, each followed by ReLU and a 2 × 2 MaxPool2d (28 → 14 → 7), then "
           "Linear from 16 · 7 · 7 = 784 features, trained with Adam: each weight steps by about the "
           "learning rate at first, whatever its gradient's scale, so both Conv2d layers learn from the "
           "first iteration."),
        NetworkConfig(dataset=UPLOADED, batch_size=32, layers=stack(
            ("Conv2d", 8, 3), "ReLU", ("MaxPool2d", 2), ("Conv2d", 16, 3), "ReLU", ("MaxPool2d", 2),
            "Flatten", ("Linear", 10), "LogSoftMax"), optimizer="Adam", learning_rate=1e-3),
        upload=True),
}


def preset_origin(name, uploads):
    """Origin of preset `name`: an upload preset's network on the learner's one upload (uploads: name -> Upload),
    its last Linear fitted to the classes; ValueError for an unknown name, or an upload preset without an upload."""
    preset = PRESETS.get(name)
    if preset is None:
        raise ValueError(_("unknown preset {name}; known: {known}")
                         .format(name=quoted(name), known=", ".join(PRESETS)))
    config = preset.config
    if preset.upload:
        if not uploads:
            raise ValueError(_("“{title}” trains on your own CSV: upload a Kaggle MNIST or Fashion-MNIST CSV first "
                               "(Data, on the right), then choose it again").format(title=preset.title))
        (upload,) = uploads.values()
        config = fit_to_data(replace(config, dataset=upload.name), upload.dataset(config.test_size, config.seed))[0]
    return Origin("preset", name, config)
