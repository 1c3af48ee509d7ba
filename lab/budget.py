"""budget: an upper bound on the memory one learner's Lab holds, and the limit per learner.

A Lab keeps, per parameter, about twelve arrays of its size (the model and the iteration's
starting model with their gradients, two momentum buffers, the trace's copies of the
value before, the gradient and the velocity, and an import's weights and momentum, kept
so that the learner can go back to them), and per activation (batch x features of
every layer) about four (the trace's outputs and grad_inputs, and the previous
iteration's in the starting model). The dataset comes on top. tests/lab/test_budget.py
checks that this bound holds for real Labs.
"""
from .network import feature_sizes, summary_rows

LIMIT = 128 * 2**20     # bytes per learner: 30 learners on one server stay within a few GB
PARAMETER_COPIES = 12
ACTIVATION_COPIES = 4
FLOAT = 8               # bytes of a float64
OVERHEAD = 2**20        # the Python objects around the arrays: records, layers, the Lab itself


def network_bytes(config, n_features):
    """Bytes a Lab holds for config's parameters and one recorded iteration's activations."""
    parameters = sum(row["parameters"] for row in summary_rows(config, n_features))
    activations = config.batch_size * sum(feature_sizes(config, n_features))
    return OVERHEAD + FLOAT * (PARAMETER_COPIES * parameters + ACTIVATION_COPIES * activations)


def data_bytes(data):
    return sum(a.nbytes for a in (data.X_train, data.y_train, data.X_test, data.y_test))


def check_budget(config, data):
    """ValueError when config on data would hold more than LIMIT bytes; says what to shrink."""
    network = network_bytes(config, data.n_features)
    total = network + data_bytes(data)
    if total > LIMIT:
        raise ValueError(
            f"this network would hold about {total / 2**20:.0f} MB for you (parameters and one "
            f"recorded batch: {network / 2**20:.0f} MB); the limit per learner is "
            f"{LIMIT // 2**20} MB: use fewer units or a smaller batch")
    return total
