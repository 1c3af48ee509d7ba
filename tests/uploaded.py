"""A Kaggle-layout MNIST-like CSV made from scikit-learn's digits, and a Lab on any preset (an upload preset
gets that CSV uploaded first)."""
import numpy as np

from engine.data import digits
from lab.presets import PRESETS
from lab.session import Lab


def digits_csv(rows=600):
    """The first `rows` digits, each 8 x 8 image scaled 3x and padded to 28 x 28, as CSV bytes 0..255."""
    X, y = digits()
    images = np.kron(X[:rows].reshape(-1, 8, 8), np.ones((3, 3)))
    images = np.pad(images, ((0, 0), (2, 2), (2, 2))).reshape(len(images), -1)
    lines = ["label," + ",".join(f"pixel{j}" for j in range(784))]
    lines += [f"{label}," + ",".join(str(int(round(255 * v))) for v in row) for label, row in zip(y, images)]
    return ("\n".join(lines) + "\n").encode()


def preset_lab(name, csv=None):
    """A fresh Lab on preset `name`, loaded as the Build page loads it (an upload preset after an upload)."""
    lab = Lab()
    if PRESETS[name].upload:
        lab.upload("digits28.csv", csv if csv is not None else digits_csv())
    lab.load_preset(name)
    return lab
