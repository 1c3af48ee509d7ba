"""budget: an upper bound on the memory one learner's Lab holds, the limit per learner, and the cap per training run.

A Lab keeps, per parameter, about twelve arrays of its size (the model and the iteration's
starting model with their gradients, two momentum buffers, the trace's copies of the
value before, the gradient and the velocity, and an import's weights and momentum, kept
so that the learner can go back to them), and per activation (batch x features of
every layer) about four (the trace's outputs and grad_inputs, and the previous
iteration's in the starting model); while an iteration is recorded, each Conv2d also holds its
input's k² times larger im2col columns, from its forward until its backward (once). The
dataset comes on top, and so do the one-hot targets that training builds for MSECriterion on
classes (rows x classes). Adam holds two buffers, m and v, where SGD holds one velocity: five
more copies per parameter. An uploaded CSV is sized up from its header and row count before it
is parsed. tests/lab/test_budget.py checks that this
bound holds for real Labs.

A training run gets at most RUN_S seconds of the training process's compute (lab.training_worker stops
it there and the learner keeps what it trained): on a 2-core class server the runs share one process
in turn, and no run may hold its share for hours.
"""
from i18n import domain

from .fitting import one_hot_targets
from .network import feature_sizes, summary_rows
from .shapes import input_shape

_, ngettext = domain("lab")

LIMIT = 128 * 2**20     # bytes per learner: 30 learners on one server stay within a few GB
PARAMETER_COPIES = 12
ADAM_COPIES = 5         # m and v where SGD has one velocity: in the optimizer, its start, the trace, an import
ACTIVATION_COPIES = 4
COLUMN_COPIES = 1
FLOAT = 8               # bytes of a float64
OVERHEAD = 2**20        # the Python objects around the arrays: records, layers, the Lab itself
RUN_S = 5 * 60          # seconds of compute per training run (its own time in the training process)


def network_bytes(config, inputs):
    """Bytes a Lab holds for config's parameters and one recorded iteration's activations (inputs: a feature
    count or a sample's shape)."""
    parameters = sum(row["parameters"] for row in summary_rows(config, inputs))
    flowing = feature_sizes(config, inputs)
    columns = sum(spec["kernel_size"] ** 2 * size for spec, size in zip(config.layers, flowing)
                  if spec["kind"] == "Conv2d")
    copies = PARAMETER_COPIES + (ADAM_COPIES if config.optimizer == "Adam" else 0)
    return OVERHEAD + FLOAT * (copies * parameters + config.batch_size * (
        ACTIVATION_COPIES * sum(flowing) + COLUMN_COPIES * columns))


def data_bytes(data):
    return sum(a.nbytes for a in (data.X_train, data.y_train, data.X_test, data.y_test))


def target_bytes(config, data):
    """Bytes of the one-hot targets (N, n_classes) that training on all of data builds, or 0."""
    if not one_hot_targets(data, config):
        return 0
    return FLOAT * (len(data.y_train) + len(data.y_test)) * data.n_classes


def check_budget(config, data):
    """ValueError when config on data would hold more than LIMIT bytes; says what to shrink."""
    network, targets = network_bytes(config, input_shape(config, data)), target_bytes(config, data)
    total = network + data_bytes(data) + targets
    if total > LIMIT:
        held = _("parameters and one recorded batch: {mb} MB").format(mb=f"{network / 2**20:.0f}")
        if targets:
            held = ngettext("{held}; one-hot targets of {n} class: {mb} MB",
                            "{held}; one-hot targets of {n} classes: {mb} MB", data.n_classes).format(
                                held=held, n=data.n_classes, mb=f"{targets / 2**20:.0f}")
        message = _("this network would hold about {total} MB for you ({held}); the limit per learner is {limit} MB: "
                    "use fewer units or a smaller batch, or NLLCriterion, which takes the labels as they are") \
            if targets else _("this network would hold about {total} MB for you ({held}); the limit per learner "
                              "is {limit} MB: use fewer units or a smaller batch")
        raise ValueError(message.format(total=f"{total / 2**20:.0f}", held=held, limit=LIMIT // 2**20))
    return total


def check_table(rows, columns, what):
    """ValueError, before a CSV is parsed, when its rows x columns as float64 would pass LIMIT."""
    size = FLOAT * rows * columns
    if size > LIMIT:
        raise ValueError(_("{what}: {rows} rows x {columns} columns are about {mb} MB as numbers; the limit per "
                           "learner is {limit} MB: use fewer rows or columns").format(
                               what=what, rows=f"{rows:,}", columns=f"{columns:,}", mb=f"{size / 2**20:,.0f}",
                               limit=LIMIT // 2**20))
