"""Closed-form one-sample Jacobians of the image layers: Conv2d's banded matrix, MaxPool2d's selection.

Rows are outputs, columns inputs, both flattened row-major over (channel, row, column).
"""
import numpy as np


def conv2d_jacobian(W, height, width):
    """J[(o,i,j), (c,i+a-p,j+b-p)] = W[o,c,a,b] inside the image, 0 elsewhere;  (C_out*H*W, C_in*H*W).

    Every row holds the same kernel (weight sharing) at its own place (locality): the
    matrix is banded, with at most C_in*k*k nonzeros a row.
    """
    c_out, c_in, k, _ = W.shape
    p = k // 2
    o, c, a, b, i, j = np.indices((c_out, c_in, k, k, height, width), sparse=True)
    source_i, source_j = i + a - p, j + b - p  # the input pixel that W[o,c,a,b] meets at output (i, j)
    inside = (source_i >= 0) & (source_i < height) & (source_j >= 0) & (source_j < width)
    shape = (c_out, c_in, k, k, height, width)
    inside = np.broadcast_to(inside, shape)
    rows = np.broadcast_to((o * height + i) * width + j, shape)[inside]
    cols = np.broadcast_to((c * height + source_i) * width + source_j, shape)[inside]
    J = np.zeros((c_out * height * width, c_in * height * width))
    J[rows, cols] = np.broadcast_to(W[:, :, :, :, None, None], shape)[inside]
    return J


def maxpool2d_jacobian(indices, k, height, width):
    """J[(c,i,j), (c,k i+a,k j+b)] = 1 at each window's winner a*k + b = indices[c,i,j];  (C*H/k*W/k, C*H*W).

    A selection matrix: one 1 a row, in the column of the window's maximum.
    """
    c, i, j = np.indices(indices.shape)
    cols = (c * height + k * i + indices // k) * width + k * j + indices % k
    J = np.zeros((indices.size, c.shape[0] * height * width))
    J[np.arange(indices.size), cols.ravel()] = 1.0
    return J
