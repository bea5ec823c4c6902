r"""Deterministic relaxations of the lecture "Differentiate Almost Everywhere".

softplus relaxes ReLU; softmax with temperature relaxes the one-hot arg max; soft arg max
and soft max relax the index and the value of the maximum; Huber and smooth L1 relax the
absolute value. All are written once with ``xp.*``; adapters may supply fused kernels for
softmax, log-softmax and logsumexp (the tests compare them with the core).
"""

from __future__ import annotations

import math
from typing import Any

from relaxarray._lib._typing import Array, Namespace
from relaxarray._namespace import (
    as_float_array,
    check_category_axis,
    check_positive,
    device,
    namespace_and_adapter,
)
from relaxarray.backends._base import Adapter

__all__ = [
    "huber",
    "log_softmax",
    "logsumexp",
    "one_hot_argmax",
    "smooth_l1",
    "soft_argmax",
    "soft_max",
    "softmax",
    "softplus",
]


def _prepare(x: Array, temperature: Any, axis: int) -> tuple[Namespace, Adapter, Array, int]:
    """``(xp, adapter, (x - m) / T, axis)`` with ``m`` the (constant) maximum along ``axis``."""
    xp, adapter, z, axis, _ = _prepare_shifted(x, temperature, axis)
    return xp, adapter, z, axis


def _prepare_shifted(
    x: Array, temperature: Any, axis: int
) -> tuple[Namespace, Adapter, Array, int, Array]:
    """Validate, then shift by the maximum BEFORE dividing by the temperature.

    Softmax and log-softmax do not change under a shift, so ``(x - m) / T`` gives the same
    values as ``x / T`` without its overflow (``1e4 / 1e-3`` is inf in float16) and without
    the rounding of ``x - logsumexp(x)`` at large offsets; ``m`` is returned for logsumexp.
    """
    as_float_array(x, "x")
    xp, adapter = namespace_and_adapter(x, temperature)
    check_positive(temperature, "temperature", adapter)
    axis = check_category_axis(x, axis, "x")
    m = xp.max(x, axis=axis, keepdims=True)
    m = adapter.stop_gradient(xp.where(xp.isfinite(m), m, xp.zeros_like(m)))
    shifted = x - m
    unit = isinstance(temperature, (int, float)) and temperature == 1
    return xp, adapter, shifted if unit else shifted / temperature, axis, m


def _index_vector(xp: Namespace, x: Array, axis: int) -> Array:
    """``[0, 1, ..., K-1]`` along ``axis``, shaped to broadcast against ``x``."""
    k = x.shape[axis]
    idx = xp.arange(k, dtype=x.dtype, device=device(x))
    shape = [1] * x.ndim
    shape[axis] = k
    return xp.reshape(idx, tuple(shape))


def _softmax(xp: Namespace, adapter: Adapter, z: Array, axis: int) -> Array:
    fast = adapter.softmax(z, axis)
    if fast is not None:
        return fast
    m = xp.max(z, axis=axis, keepdims=True)
    m = adapter.stop_gradient(xp.where(xp.isfinite(m), m, 0.0))
    e = xp.exp(z - m)
    return e / xp.sum(e, axis=axis, keepdims=True)


def _logsumexp(xp: Namespace, adapter: Adapter, z: Array, axis: int, keepdims: bool) -> Array:
    fast = adapter.logsumexp(z, axis, keepdims)
    if fast is not None:
        return fast
    m = xp.max(z, axis=axis, keepdims=True)
    m = adapter.stop_gradient(xp.where(xp.isfinite(m), m, 0.0))
    out = xp.log(xp.sum(xp.exp(z - m), axis=axis, keepdims=True)) + m
    return out if keepdims else xp.squeeze(out, axis=axis)


def softplus(x: Array, /, *, beta: float = 1.0) -> Array:
    r"""Softplus, the smooth relaxation of ReLU.

    .. math:: \operatorname{softplus}_\beta(x) = \frac{1}{\beta}\log\left(1 + e^{\beta x}\right)

    Its derivative is :math:`\sigma(\beta x)`. As :math:`\beta \to \infty` it tends to
    :math:`\max(0, x)`; the sharpness is called ``beta`` (an inverse temperature) to
    match ``torch.nn.functional.softplus``. Computed as ``logaddexp(0, beta x) / beta``,
    so it is exact for large :math:`|x|` (no overflow, no threshold switch).

    Parameters
    ----------
    x : array
        Real floating-point input.
    beta : float or array, optional
        Sharpness, finite and > 0.

    Returns
    -------
    array
        Same shape, dtype and device as ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.softplus(np.array([-1e4, 0.0, 1e4]))
    array([0.00000000e+00, 6.93147181e-01, 1.00000000e+04])
    """
    as_float_array(x, "x")
    xp, adapter = namespace_and_adapter(x, beta)
    check_positive(beta, "beta", adapter)
    if isinstance(beta, (int, float)):
        fast = adapter.softplus(x, float(beta))
        if fast is not None:
            return fast
        if beta == 1:
            return xp.logaddexp(xp.zeros_like(x), x)
    return xp.logaddexp(xp.zeros_like(x), x * beta) / beta


def softmax(x: Array, /, *, temperature: Any = 1.0, axis: int = -1) -> Array:
    r"""Softmax with temperature, the relaxation of the one-hot arg max.

    .. math:: \operatorname{softmax}(x / T)_i = \frac{e^{x_i / T}}{\sum_j e^{x_j / T}}

    As :math:`T \to 0` it tends to the one-hot arg max; as :math:`T \to \infty`, to the
    uniform distribution. Stable for any finite input (the maximum is subtracted first).

    Parameters
    ----------
    x : array
        Logits, real floating point, at least one dimension.
    temperature : float or array, optional
        :math:`T > 0`, finite; an array must broadcast against ``x``.
    axis : int, optional
        The axis of the categories.

    Returns
    -------
    array
        Probabilities along ``axis``; same shape, dtype and device as ``x``.

    Examples
    --------
    The lecture's table, :math:`x = [1.1, 4.0, -0.1, 2.3]`:

    >>> import numpy as np
    >>> import relaxarray as rx
    >>> np.round(rx.softmax(np.array([1.1, 4.0, -0.1, 2.3]), temperature=0.8), 3)
    array([0.023, 0.868, 0.005, 0.104])
    """
    xp, adapter, z, axis = _prepare(x, temperature, axis)
    return _softmax(xp, adapter, z, axis)


def log_softmax(x: Array, /, *, temperature: Any = 1.0, axis: int = -1) -> Array:
    r"""Logarithm of :func:`softmax`, computed in log space from the shifted logits
    :math:`z = (x - \max_j x_j) / T`: :math:`z_i - \log\sum_j e^{z_j}` (exact at large
    offsets, where :math:`x_i / T - \mathrm{LSE}(x / T)` would round).

    Parameters and returns as :func:`softmax`.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.log_softmax(np.array([0.0, -1e4]))
    array([     0., -10000.])
    """
    xp, adapter, z, axis = _prepare(x, temperature, axis)
    fast = adapter.log_softmax(z, axis)
    if fast is not None:
        return fast
    return z - _logsumexp(xp, adapter, z, axis, True)


def logsumexp(
    x: Array, /, *, temperature: Any = 1.0, axis: int = -1, keepdims: bool = False
) -> Array:
    r"""The smooth maximum :math:`T \log\sum_i e^{x_i / T}`.

    It bounds the maximum: :math:`\max_i x_i \le T\,\mathrm{LSE}(x / T) \le \max_i x_i +
    T \log K`, and its gradient is :math:`\operatorname{softmax}(x / T)`.

    Parameters
    ----------
    x : array
        Real floating point, at least one dimension.
    temperature : float or array, optional
        :math:`T > 0`, finite.
    axis : int, optional
        The axis to reduce.
    keepdims : bool, optional
        Keep the reduced axis with size 1.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> float(rx.logsumexp(np.array([1.1, 4.0, -0.1, 2.3]), temperature=1e-3))
    4.0
    """
    xp, adapter, z, axis, m = _prepare_shifted(x, temperature, axis)
    out = _logsumexp(xp, adapter, z, axis, True)
    if not (isinstance(temperature, (int, float)) and temperature == 1):
        out = out * temperature
    if out.shape[axis] != 1:
        raise ValueError("an array temperature must be constant along the reduced axis")
    out = out + m
    return out if keepdims else xp.squeeze(out, axis=axis)


def soft_argmax(x: Array, /, *, temperature: Any = 1.0, axis: int = -1) -> Array:
    r"""Soft arg max: the expected index under :math:`\operatorname{softmax}(x / T)`.

    .. math:: \operatorname{softargmax}(x) = \sum_i \operatorname{softmax}(x / T)_i \, i

    A differentiable approximation of the index of the maximum (0-based); it tends to
    :math:`\arg\max_i x_i` as :math:`T \to 0`.

    Parameters
    ----------
    x : array
        Real floating point, at least one dimension.
    temperature : float or array, optional
        :math:`T > 0`, finite.
    axis : int, optional
        The axis of the categories; it is reduced.

    Examples
    --------
    The lecture's value at :math:`T = 1`:

    >>> import numpy as np
    >>> import relaxarray as rx
    >>> round(float(rx.soft_argmax(np.array([1.1, 4.0, -0.1, 2.3]))), 4)
    1.2606
    """
    xp, adapter, z, axis = _prepare(x, temperature, axis)
    p = _softmax(xp, adapter, z, axis)
    if axis == x.ndim - 1:  # a matrix-vector product: one kernel instead of two
        # the ``@`` operator (standard) skips array-api-compat's matmul wrapper
        return p @ xp.arange(x.shape[axis], dtype=x.dtype, device=device(x))
    return xp.sum(p * _index_vector(xp, x, axis), axis=axis)


def soft_max(x: Array, /, *, temperature: Any = 1.0, axis: int = -1) -> Array:
    r"""Soft max: :math:`\operatorname{softmax}(x / T)^\top x`, the expected value of x.

    It tends to :math:`\max_i x_i` as :math:`T \to 0` and to the mean as
    :math:`T \to \infty`. (For the log-sum-exp smooth maximum see :func:`logsumexp`.)

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> round(float(rx.soft_max(np.array([1.1, 4.0, -0.1, 2.3]), temperature=0.6)), 3)
    3.881
    """
    xp, adapter, z, axis = _prepare(x, temperature, axis)
    p = _softmax(xp, adapter, z, axis)
    return xp.sum(p * x, axis=axis)


def one_hot_argmax(x: Array, /, *, axis: int = -1) -> Array:
    """The hard arg max as a one-hot array in ``x``'s dtype (first maximum on ties).

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.one_hot_argmax(np.array([1.1, 4.0, -0.1, 2.3]))
    array([0., 1., 0., 0.])
    """
    xp, _ = namespace_and_adapter(x)
    as_float_array(x, "x", xp)
    return _one_hot_of_argmax(xp, x, check_category_axis(x, axis, "x"), x.dtype)


def _one_hot_of_argmax(xp: Namespace, z: Array, axis: int, dtype: Any) -> Array:
    """One-hot (first maximum) of ``z`` along ``axis``, in ``dtype``; no gradient path.

    The positions come from ``z`` itself (a running count of ``ones_like(z)`` along
    ``axis``), not from a fresh ``arange``, so the result keeps ``z``'s layout: its
    sharding, DTensor placements or dask chunks.

    A row holding a NaN gives a NaN row: ``argmax`` takes NaN for the maximum on every
    backend, which made a NaN logit look like a valid, confident one-hot.
    """
    idx = xp.argmax(z, axis=axis, keepdims=True)
    positions = xp.cumulative_sum(xp.ones_like(z, dtype=idx.dtype), axis=axis)
    hot = xp.astype(positions == idx + 1, dtype)
    bad = xp.any(xp.isnan(z), axis=axis, keepdims=True)
    return xp.where(bad, xp.full_like(hot, math.nan), hot)


def huber(x: Array, y: Array, /, *, delta: float = 1.0) -> Array:
    r"""Elementwise Huber loss, the relaxation of the L1 distance.

    .. math::
        h_\delta(d) = \begin{cases} \tfrac12 d^2 & |d| < \delta \\
        \delta\,(|d| - \tfrac12\delta) & \text{otherwise}\end{cases},\qquad d = x - y

    With :math:`\delta = 1` this is the lecture's formula (and ``torch``'s
    ``huber_loss(reduction="none")``). The gradient :math:`\operatorname{clip}(d, -\delta,
    \delta)` is continuous; no reduction is applied.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.huber(np.array([0.5, 3.0]), np.array([0.0, 0.0]))
    array([0.125, 2.5  ])
    """
    xp, adapter = _check_xy(x, y)
    check_positive(delta, "delta", adapter)
    return _huber_xy(xp, adapter, x, y, delta)


def _check_xy(x: Array, y: Any) -> tuple[Namespace, Adapter]:
    """``x`` a real floating array; ``y`` a Python number or an array broadcasting with it."""
    as_float_array(x, "x")
    if not isinstance(y, (int, float)) or isinstance(y, bool):
        as_float_array(y, "y")
    xp, adapter = namespace_and_adapter(x, y)
    if hasattr(y, "shape"):
        try:
            xp.broadcast_shapes(tuple(x.shape), tuple(y.shape))
        except (ValueError, RuntimeError) as exc:
            raise ValueError(
                f"y of shape {tuple(y.shape)} does not broadcast with x of shape "
                f"{tuple(x.shape)}"
            ) from exc
    return xp, adapter


def _huber_xy(xp: Namespace, adapter: Adapter, x: Array, y: Array, delta: Any) -> Array:
    if isinstance(delta, (int, float)) and getattr(y, "shape", None) == x.shape:
        if y.dtype == x.dtype:
            fast = adapter.huber(x, y, float(delta))
            if fast is not None:
                return fast
    return _huber(xp, x - y, delta)


def _huber(xp: Namespace, d: Array, delta: Any) -> Array:
    # With c = clip(d, -delta, delta): c (d - c / 2) is d^2 / 2 inside and
    # delta (|d| - delta / 2) outside; no branch, so no NaN and three kernels.
    c = xp.clip(d, -delta, delta)
    return c * (d - 0.5 * c)


def smooth_l1(x: Array, y: Array, /, *, beta: float = 1.0) -> Array:
    r"""Elementwise smooth L1 loss (``torch``'s ``smooth_l1_loss(reduction="none")``).

    .. math::
        s_\beta(d) = \begin{cases} \tfrac{1}{2\beta} d^2 & |d| < \beta \\
        |d| - \tfrac12\beta & \text{otherwise}\end{cases}

    Equal to :math:`h_\beta(d) / \beta`; ``beta = 0`` gives the plain L1 distance.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.smooth_l1(np.array([0.5, 3.0]), np.array([0.0, 0.0]), beta=2.0)
    array([0.0625, 2.    ])
    """
    xp, adapter = _check_xy(x, y)
    check_positive(beta, "beta", adapter, allow_zero=True)
    if isinstance(beta, (int, float)) and beta == 0:
        return xp.abs(x - y)
    return _huber_xy(xp, adapter, x, y, beta) / beta
