"""Plain-loop references for the image layers, written without the engine and without its im2col.

Slow on purpose: one Python loop per output pixel, so that nothing is shared with engine/conv.py
or engine/pool.py but the definition.
"""
import numpy as np


def conv2d(x, W, b):
    """y[n,o,i,j] = b[o] + sum_{c,a,b} W[o,c,a,b] x[n,c,i+a-p,j+b-p], zeros outside x; p = k // 2."""
    n, _, h, w = x.shape
    k = W.shape[2]
    p = k // 2
    padded = np.zeros((n, x.shape[1], h + 2 * p, w + 2 * p))
    padded[:, :, p:p + h, p:p + w] = x
    y = np.empty((n, len(W), h, w))
    for i in range(h):
        for j in range(w):
            window = padded[:, :, i:i + k, j:j + k]  # (N, C_in, k, k)
            y[:, :, i, j] = np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3])) + b
    return y


def maxpool2d(x, k):
    """y[n,c,i,j] = max of x[n,c,k i:k i+k,k j:k j+k], one window at a time."""
    n, c, h, w = x.shape
    y = np.empty((n, c, h // k, w // k))
    for i in range(h // k):
        for j in range(w // k):
            y[:, :, i, j] = x[:, :, k * i:k * i + k, k * j:k * j + k].max(axis=(2, 3))
    return y


def maxpool2d_grad_input(x, g, k):
    """g routed to the first maximum (row-major) of each window, one window at a time."""
    grad = np.zeros_like(x, dtype=np.float64)
    n, c, h, w = x.shape
    for s in range(n):
        for ch in range(c):
            for i in range(h // k):
                for j in range(w // k):
                    window = x[s, ch, k * i:k * i + k, k * j:k * j + k]
                    a, b = divmod(int(np.argmax(window)), k)  # argmax over the row-major flattening
                    grad[s, ch, k * i + a, k * j + b] = g[s, ch, i, j]
    return grad


def conv2d_backward(x, W, g):
    """(dL/dx, dL/dW, dL/db) by scattering: output (i, j) sends g[n,o,i,j] W[o] back over its window."""
    n, c, h, w = x.shape
    k = W.shape[2]
    p = k // 2
    padded = np.zeros((n, c, h + 2 * p, w + 2 * p))
    padded[:, :, p:p + h, p:p + w] = x
    grad_padded = np.zeros_like(padded)
    gradW = np.zeros(W.shape)
    for i in range(h):
        for j in range(w):
            g_ij = g[:, :, i, j]  # (N, C_out)
            grad_padded[:, :, i:i + k, j:j + k] += np.tensordot(g_ij, W, axes=(1, 0))
            gradW += np.tensordot(g_ij, padded[:, :, i:i + k, j:j + k], axes=(0, 0))
    return grad_padded[:, :, p:p + h, p:p + w], gradW, g.sum(axis=(0, 2, 3))
