r"""Reparameterised continuous samplers: Gaussian location-scale and inverse-CDF.

The reparameterisation trick (lecture seed 002) writes a sample as a differentiable map of
parameter-free noise, :math:`y = \mu + \sigma z`, :math:`z \sim \mathcal{N}(0, 1)`. The
tutorial (seed 003) generalises it: if :math:`F_\lambda` is the CDF, then
:math:`y = F_\lambda^{-1}(u)`, :math:`u \sim \mathcal{U}(0, 1)` has density :math:`f_\lambda`
and is differentiable in :math:`\lambda` wherever :math:`F^{-1}` is.

Noise: :func:`normal_rsample` takes standard normal noise ``z``; :func:`inverse_cdf_sample`
takes uniform noise ``u`` in (0, 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import (
    as_float_array,
    check_noise,
    check_positive,
    namespace_and_adapter,
)
from relaxarray._sampling import batch_of, get_noise

__all__ = [
    "exponential_icdf",
    "gumbel_icdf",
    "inverse_cdf_sample",
    "logistic_icdf",
    "normal_icdf",
    "normal_rsample",
]


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(a.shape) if hasattr(a, "shape") else ()


def _check_real(value: Any, name: str) -> None:
    """A Python number, or a real floating-point array (never an int/bool array or a list)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return
    as_float_array(value, name)


def _icdf_args(u: Array, loc: Any, scale: Any, scale_name: str = "scale") -> Namespace:
    """Validate the arguments of an inverse CDF: ``u`` in (0, 1), ``scale`` > 0."""
    as_float_array(u, "u")
    _check_real(loc, "loc")
    _check_real(scale, scale_name)
    xp, adapter = namespace_and_adapter(u, loc, scale)
    batch_of(xp, [("u", _shape(u)), ("loc", _shape(loc)), (scale_name, _shape(scale))])
    check_noise(u, "uniform", adapter, "u")
    check_positive(scale, scale_name, adapter)
    return xp


def _like(params: tuple[Any, ...]) -> Array:
    for p in params:
        if hasattr(p, "dtype"):
            return p
    raise TypeError("at least one parameter must be an array (it sets namespace, dtype, device)")


def normal_rsample(
    loc: ArrayT,
    scale: Any,
    /,
    *,
    sample_shape: int | tuple[int, ...] = (),
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Reparameterised Gaussian sample :math:`y = \mu + \sigma z`.

    Parameters
    ----------
    loc : array
        :math:`\mu`.
    scale : float or array
        :math:`\sigma > 0`, broadcasting with ``loc``.
    sample_shape : int or tuple of int
        Leading shape of independent samples (only with ``rng=``).
    rng : int, native generator or JAX key
        Draw standard normal noise of shape ``sample_shape + batch_shape``.
    noise : array
        Standard normal noise ``z`` of the sample's full shape. Exactly one of the two.

    References
    ----------
    Kingma & Welling 2014; Rezende, Mohamed & Wierstra 2014.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.normal_rsample(np.array([1.0, 2.0]), np.array([0.5, 2.0]), noise=np.array([2.0, -1.0]))
    array([2., 0.])
    """
    _check_real(loc, "loc")
    _check_real(scale, "scale")
    xp, adapter = namespace_and_adapter(loc, scale)
    check_positive(scale, "scale", adapter)
    batch = batch_of(xp, [("loc", _shape(loc)), ("scale", _shape(scale))])
    z = get_noise(
        xp,
        adapter,
        rng=rng,
        noise=noise,
        sample_shape=sample_shape,
        batch_shape=batch,
        like=_like((loc, scale)),
        kind="normal",
    )
    return loc + scale * z


def inverse_cdf_sample(
    icdf: Callable[..., Array],
    /,
    *params: Any,
    sample_shape: int | tuple[int, ...] = (),
    rng: object = None,
    noise: Array | None = None,
) -> Array:
    r"""General inverse-CDF reparameterisation :math:`y = F_\lambda^{-1}(u)`.

    Parameters
    ----------
    icdf : callable
        ``icdf(u, *params)``, written with Array API operations so that it differentiates
        with respect to ``params`` (e.g. :func:`normal_icdf`, :func:`logistic_icdf`,
        :func:`gumbel_icdf`, :func:`exponential_icdf`).
    *params : arrays or floats
        The distribution parameters; at least one array. The batch shape is their
        broadcast shape.
    sample_shape, rng, noise
        As in :func:`normal_rsample`, but ``noise`` is uniform in (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> float(rx.inverse_cdf_sample(rx.exponential_icdf, np.array(2.0), noise=np.array(0.5)))
    0.34657359027997264
    """
    if not callable(icdf):
        raise TypeError(f"icdf must be a callable icdf(u, *params), got {type(icdf).__name__}")
    for i, p in enumerate(params):
        _check_real(p, f"params[{i}]")
    xp, adapter = namespace_and_adapter(*params)
    batch = batch_of(xp, [(f"params[{i}]", _shape(p)) for i, p in enumerate(params)])
    u = get_noise(
        xp,
        adapter,
        rng=rng,
        noise=noise,
        sample_shape=sample_shape,
        batch_shape=batch,
        like=_like(params),
    )
    return icdf(u, *params)


def logistic_icdf(u: ArrayT, loc: Any = 0.0, scale: Any = 1.0, /) -> ArrayT:
    r"""Logistic inverse CDF :math:`\mu + s(\log u - \log(1 - u))`."""
    xp = _icdf_args(u, loc, scale)
    return loc + scale * (xp.log(u) - xp.log1p(-u))


def gumbel_icdf(u: ArrayT, loc: Any = 0.0, scale: Any = 1.0, /) -> ArrayT:
    r"""Gumbel inverse CDF :math:`\mu - \beta \log(-\log u)`."""
    xp = _icdf_args(u, loc, scale)
    return loc - scale * xp.log(-xp.log(u))


def exponential_icdf(u: ArrayT, rate: Any = 1.0, /) -> ArrayT:
    r"""Exponential inverse CDF :math:`-\log(1 - u) / \lambda`."""
    xp = _icdf_args(u, 0.0, rate, "rate")
    return -xp.log1p(-u) / rate


def normal_icdf(u: ArrayT, loc: Any = 0.0, scale: Any = 1.0, /) -> ArrayT:
    r"""Gaussian inverse CDF :math:`\mu + \sigma\,\Phi^{-1}(u)`.

    :math:`\Phi^{-1}` is Acklam's rational approximation refined by one Halley step with
    ``erfc`` (close to full float64 precision on (0, 1)). It is applied to the noise
    only, so gradients with respect to ``loc`` and ``scale`` are exact.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> round(float(rx.normal_icdf(np.array(0.975))), 10)
    1.9599639845
    """
    xp = _icdf_args(u, loc, scale)
    return loc + scale * _ndtri(xp, namespace_and_adapter(u)[1], u)


_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)


def _poly(coefs: tuple[float, ...], x: Array) -> Array:
    out = coefs[0] * x + coefs[1]
    for c in coefs[2:]:
        out = out * x + c
    return out


def _ndtri(xp: Namespace, adapter: Any, u: Array) -> Array:
    """Standard normal quantile of ``u`` in (0, 1); the noise carries no gradient."""
    u = adapter.stop_gradient(u)
    upper = u > 0.5
    p = xp.where(upper, 1.0 - u, u)  # exact (Sterbenz) and <= 0.5
    p = xp.where(p > 0.0, p, 0.5)  # "double where": never log(0)
    # lower tail p < 0.02425
    q = xp.sqrt(-2.0 * xp.log(p))
    tail = _poly(_C, q) / (_poly(_D, q) * q + 1.0)
    # central region
    r0 = p - 0.5
    r = r0 * r0
    central = _poly(_A, r) * r0 / (_poly(_B, r) * r + 1.0)
    x = xp.where(p < 0.02425, tail, central)
    # one Halley step on Phi(x) - p, accurate in the lower tail
    e = 0.5 * adapter.erfc(-x / math.sqrt(2.0)) - p
    step = e * math.sqrt(2.0 * math.pi) * xp.exp(0.5 * x * x)
    x = x - step / (1.0 + 0.5 * x * step)
    return xp.where(upper, -x, x)
