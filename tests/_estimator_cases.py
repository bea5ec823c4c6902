"""Shared problems with exact gradients by enumeration, for the estimator tests."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

THETA_B = np.array([0.3, -1.2, 2.0])  # three independent Bernoulli variables
THETA_C = np.array([0.5, -0.3, 1.2, 0.1])  # one four-category variable
W = [1.0, 2.0, -1.5]
V = [1.0, -2.0, 3.0, 0.5]


def f_bern(b: Any) -> Any:
    """Non-linear objective of three binary variables, on the last axis."""
    s = b[..., 0] * W[0] + b[..., 1] * W[1] + b[..., 2] * W[2] - 0.7
    return s * s + b[..., 0] * b[..., 1] * b[..., 2]


def f_cat(h: Any) -> Any:
    """Non-linear objective of one-hot samples, categories on the last axis."""
    s = h[..., 0] * V[0] + h[..., 1] * V[1] + h[..., 2] * V[2] + h[..., 3] * V[3]
    return s * s - 0.5 * s


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def bern_states() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All states, their probabilities and scores under THETA_B."""
    states = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    p = _sigmoid(THETA_B)
    probs = np.prod(np.where(states == 1, p, 1 - p), axis=1)
    return states, probs, states - p


def cat_states() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    states = np.eye(4)
    p = np.exp(THETA_C - THETA_C.max())
    p /= p.sum()
    return states, p, states - p


def exact(kind: str) -> tuple[float, np.ndarray]:
    """E[f] and its gradient with respect to the logits."""
    states, probs, scores = bern_states() if kind == "bernoulli" else cat_states()
    f = f_bern if kind == "bernoulli" else f_cat
    vals = f(states)
    return float(probs @ vals), (probs * vals) @ scores


def exact_vimco(kind: str, num_samples: int) -> tuple[float, np.ndarray]:
    """E[log mean_s exp f(h_s)] over num_samples iid samples, and its gradient."""
    states, probs, scores = bern_states() if kind == "bernoulli" else cat_states()
    f = f_bern if kind == "bernoulli" else f_cat
    w = f(states)
    value, grad = 0.0, np.zeros(scores.shape[1])
    for idx in itertools.product(range(len(states)), repeat=num_samples):
        idx_a = np.array(idx)
        pr = np.prod(probs[idx_a])
        ws = w[idx_a]
        m = ws.max()
        big = m + np.log(np.mean(np.exp(ws - m)))
        value += pr * big
        grad += pr * big * scores[idx_a].sum(axis=0)
    return value, grad
