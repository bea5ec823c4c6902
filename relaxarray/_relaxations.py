r"""Deterministic relaxations of the lecture "Differentiate Almost Everywhere".

softplus relaxes ReLU; softmax with temperature relaxes the one-hot arg max; soft arg max
and soft max relax the index and the value of the maximum; Huber and smooth L1 relax the
absolute value. All are written once with ``xp.*``; adapters may supply fused kernels for
softmax, log-softmax and logsumexp (the tests compare them with the core).
"""

from __future__ import annotations

import math
from typing import Any

from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import (
    as_float_array,
    check_category_axis,
    check_positive,
    device,
    float_namespace,
    namespace_and_adapter,
)
from relaxarray.backends._base import Adapter

_INF = math.inf

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
    """``(xp, adapter, z, axis)`` with ``softmax(z) = softmax(x / T)`` along ``axis``.

    ``z`` is ``x / T`` itself where that division is exact (see :func:`_exact_division`):
    every softmax kernel subtracts the maximum, so no shift is needed first. Otherwise
    ``z = (x - m) / T`` with ``m`` the (constant) maximum: the shift comes BEFORE the
    division, so ``z`` neither overflows (``1e4 / 1e-3`` is inf in float16) nor rounds
    at large offsets (``x / T - max(x / T)`` loses the low digits of ``x / T``).
    """
    xp, adapter, wide = float_namespace(x, "x", temperature)
    if type(temperature) is not float or not 0.0 < temperature < _INF:
        check_positive(temperature, "temperature", adapter)
    axis = _category_axis(x, axis)
    if _exact_division(temperature, wide):
        return xp, adapter, (x if temperature == 1 else x / temperature), axis
    m = adapter.stop_gradient(xp.max(x, axis=axis, keepdims=True))
    # no guard for a non-finite maximum: such a row has no finite softmax either way
    return xp, adapter, (x - m) / temperature, axis


def _category_axis(x: Array, axis: int) -> int:
    """:func:`check_category_axis` with a fast path for a valid int axis."""
    if type(axis) is int:
        ndim: int = x.ndim
        if -ndim <= axis < ndim:
            ax = axis % ndim
            if x.shape[ax]:
                return ax
    return check_category_axis(x, axis, "x")


def _exact_division(temperature: Any, wide: bool) -> bool:
    """Whether ``x / temperature`` is exact for every finite ``x`` of interest: the
    temperature is the Python number 1, or a power of two in ``[2**-16, 2**16]`` and the
    dtype has float32's range or more (``wide``), so ``|x| / T`` overflows only for
    ``|x| > 5e33``. Dividing by a power of two changes only the exponent."""
    if type(temperature) is not float and type(temperature) is not int:
        return False
    if temperature == 1:
        return True
    if not wide or not 2.0**-16 <= temperature <= 2.0**16:
        return False
    return math.frexp(temperature)[0] == 0.5


def _prepare_shifted(
    x: Array, temperature: Any, axis: int
) -> tuple[Namespace, Adapter, Array, int, Array]:
    """Validate, then shift by the maximum BEFORE dividing by the temperature.

    Softmax and log-softmax do not change under a shift, so ``(x - m) / T`` gives the same
    values as ``x / T`` without its overflow (``1e4 / 1e-3`` is inf in float16) and without
    the rounding of ``x - logsumexp(x)`` at large offsets; ``m`` is returned for logsumexp
    (guarded: 0 where the maximum is not finite, so a row of ``-inf`` gives ``-inf``).
    """
    xp, adapter, _ = float_namespace(x, "x", temperature)
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


def softplus(x: ArrayT, /, *, beta: float = 1.0) -> ArrayT:
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
    xp, adapter, _ = float_namespace(x, "x", beta)
    if type(beta) is not float or not 0.0 < beta < _INF:
        check_positive(beta, "beta", adapter)
    if isinstance(beta, (int, float)):
        fast = adapter.softplus(x, float(beta))
        if fast is not None:
            return fast
        if beta == 1:
            return xp.logaddexp(xp.zeros_like(x), x)
    return xp.logaddexp(xp.zeros_like(x), x * beta) / beta


def softmax(x: ArrayT, /, *, temperature: Any = 1.0, axis: int = -1) -> ArrayT:
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


def log_softmax(x: ArrayT, /, *, temperature: Any = 1.0, axis: int = -1) -> ArrayT:
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
    # z may be unshifted (an exact division): shift it here, so that z - LSE(z) does not
    # round away the low digits at large offsets
    m = xp.max(z, axis=axis, keepdims=True)
    z = z - adapter.stop_gradient(xp.where(xp.isfinite(m), m, xp.zeros_like(m)))
    return z - _logsumexp(xp, adapter, z, axis, True)


def logsumexp(
    x: ArrayT, /, *, temperature: Any = 1.0, axis: int = -1, keepdims: bool = False
) -> ArrayT:
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
    xp, adapter, wide = float_namespace(x, "x", temperature)
    if _exact_division(temperature, wide):
        check_positive(temperature, "temperature", adapter)
        axis = _category_axis(x, axis)
        if temperature == 1:
            return _logsumexp(xp, adapter, x, axis, keepdims)
        # T * LSE(x / T) with T a power of two: both scalings exact
        return _logsumexp(xp, adapter, x / temperature, axis, keepdims) * temperature
    xp, adapter, z, axis, m = _prepare_shifted(x, temperature, axis)
    out = _logsumexp(xp, adapter, z, axis, True)
    if not (isinstance(temperature, (int, float)) and temperature == 1):
        out = out * temperature
    if out.shape[axis] != 1:
        raise ValueError("an array temperature must be constant along the reduced axis")
    out = out + m
    return out if keepdims else xp.squeeze(out, axis=axis)


def soft_argmax(x: ArrayT, /, *, temperature: Any = 1.0, axis: int = -1) -> ArrayT:
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
        idx = adapter.index_vector(x, x.shape[axis])
        if idx is None:
            idx = xp.arange(x.shape[axis], dtype=x.dtype, device=device(x))
        return p @ idx
    return xp.sum(p * _index_vector(xp, x, axis), axis=axis)


def soft_max(x: ArrayT, /, *, temperature: Any = 1.0, axis: int = -1) -> ArrayT:
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


def one_hot_argmax(x: ArrayT, /, *, axis: int = -1) -> ArrayT:
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


def _one_hot_of_argmax(
    xp: Namespace, z: Array, axis: int, dtype: Any, adapter: Adapter | None = None
) -> Array:
    """One-hot (first maximum) of ``z`` along ``axis``, in ``dtype``; no gradient path.

    The positions come from ``z`` itself (a running count of ``ones_like(z)`` along
    ``axis``), not from a fresh ``arange``, so the result keeps ``z``'s layout: its
    sharding, DTensor placements or dask chunks. An ``adapter`` may supply a fused kernel
    (:meth:`relaxarray.backends.Adapter.one_hot_argmax`; the tests compare the two).

    A row holding a NaN gives a NaN row (on both paths): ``argmax`` takes NaN for the
    maximum on every backend, which made a NaN logit look like a valid, confident one-hot.
    """
    hot = adapter.one_hot_argmax(z, axis, dtype) if adapter is not None else None
    if hot is None:
        idx = xp.argmax(z, axis=axis, keepdims=True)
        positions = xp.cumulative_sum(xp.ones_like(z, dtype=idx.dtype), axis=axis)
        hot = xp.astype(positions == idx + 1, dtype)
    bad = xp.any(xp.isnan(z), axis=axis, keepdims=True)
    return xp.where(bad, xp.full_like(hot, math.nan), hot)


def huber(x: ArrayT, y: ArrayT, /, *, delta: float = 1.0) -> ArrayT:
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
    xp, adapter, _ = float_namespace(x, "x")
    if type(y) is not float and type(y) is not int:
        if type(y) is not type(x) or getattr(y, "dtype", None) != x.dtype:
            as_float_array(y, "y")
            xp, adapter = namespace_and_adapter(x, y)
        if tuple(y.shape) == tuple(x.shape):
            return xp, adapter
    if hasattr(y, "shape"):
        try:
            xp.broadcast_shapes(tuple(x.shape), tuple(y.shape))
        except (ValueError, RuntimeError) as exc:
            raise ValueError(
                f"y of shape {tuple(y.shape)} does not broadcast with x of shape {tuple(x.shape)}"
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


def smooth_l1(x: ArrayT, y: ArrayT, /, *, beta: float = 1.0) -> ArrayT:
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
