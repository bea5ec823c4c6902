r"""The Gaussian distribution with the reparameterised sampler :math:`\mu + \sigma z`."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from relaxarray._lib._typing import Array, ArrayT
from relaxarray._namespace import as_float_array, check_positive, device, namespace_and_adapter
from relaxarray._reparam import _ndtri, normal_rsample
from relaxarray.distributions import constraints
from relaxarray.distributions._base import Distribution, register_kl
from relaxarray.distributions._params import check_not_nan, concrete_all, resolve_validate
from relaxarray.distributions.constraints import Constraint

__all__ = ["Normal"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class Normal(Distribution[ArrayT]):
    r"""Gaussian :math:`\mathcal{N}(\mu, \sigma^2)` with ``rsample`` :math:`\mu + \sigma z`.

    Parameters
    ----------
    loc : array
        :math:`\mu`.
    scale : array or float
        :math:`\sigma > 0` (checked when concrete), broadcasting with ``loc``.
    validate_args : bool, optional
        Validate the values given to :meth:`log_prob` (not NaN) and :meth:`icdf`;
        default :func:`~relaxarray.distributions.set_default_validate_args`. Skipped
        under ``jax.jit`` / ``torch.compile``.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import Normal, kl_divergence
    >>> p, q = Normal(np.array(0.0), np.array(1.0)), Normal(np.array(1.0), np.array(2.0))
    >>> round(float(kl_divergence(p, q)), 6)
    0.443147
    """

    has_rsample = True
    _fields: ClassVar[dict[str, int]] = {"loc": 0, "scale": 0}

    arg_constraints: ClassVar[dict[str, Constraint]] = {
        "loc": constraints.real,
        "scale": constraints.positive,
    }

    def __init__(self, loc: ArrayT, scale: Any, *, validate_args: bool | None = None) -> None:
        self._validate_args = resolve_validate(validate_args)
        xp, adapter = namespace_and_adapter(loc, scale)
        as_float_array(loc, "loc", xp)
        check_not_nan(loc, "loc", self._validate_args)
        check_positive(scale, "scale", adapter)
        if hasattr(scale, "shape"):
            try:
                xp.broadcast_shapes(tuple(loc.shape), tuple(scale.shape))
            except (ValueError, RuntimeError) as exc:
                raise ValueError(
                    f"loc {tuple(loc.shape)} and scale {tuple(scale.shape)} do not broadcast"
                ) from exc
        self.loc = loc
        self.scale = scale

    def rsample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        return normal_rsample(self.loc, self.scale, sample_shape=sample_shape, rng=rng)

    @property
    def support(self) -> Constraint:
        return constraints.real

    def log_prob(self, value: Array) -> ArrayT:
        self._validate_sample(value)
        xp, s = self.xp, self.scale
        z = (value - self.loc) / s
        log_s = math.log(s) if isinstance(s, (int, float)) else xp.log(s)
        return -0.5 * z * z - log_s - _HALF_LOG_2PI

    def entropy(self) -> ArrayT:
        xp, s = self.xp, self.scale
        if isinstance(s, (int, float)):
            s = xp.asarray(s, dtype=self.loc.dtype, device=device(self.loc))
        s = xp.broadcast_to(s, self.batch_shape)
        return 0.5 + _HALF_LOG_2PI + xp.log(s)

    def cdf(self, value: Array) -> ArrayT:
        r""":math:`\Phi(z) = \tfrac12\operatorname{erfc}(-z/\sqrt2)`,
        :math:`z = (x - \mu)/\sigma`."""
        self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return 0.5 * self.adapter.erfc(-z / math.sqrt(2.0))

    def icdf(self, value: Array) -> ArrayT:
        r""":math:`\mu + \sigma\,\Phi^{-1}(u)` for ``value`` :math:`u \in (0, 1)` (no gradient
        through ``value``; gradients flow to ``loc`` and ``scale``)."""
        xp, adapter = namespace_and_adapter(self.loc, value)
        if self.validate_args and concrete_all(adapter, (value > 0) & (value < 1)) is False:
            raise ValueError("Normal.icdf: value must lie in the open interval (0, 1)")
        return self.loc + self.scale * _ndtri(xp, adapter, value)

    @property
    def mean(self) -> ArrayT:
        return self.xp.broadcast_to(self.loc, self.batch_shape)

    @property
    def mode(self) -> ArrayT:
        return self.mean

    @property
    def variance(self) -> ArrayT:
        return self.xp.broadcast_to(
            self.scale * self.scale * self.xp.ones_like(self.loc), self.batch_shape
        )


@register_kl(Normal, Normal)
def _kl_normal(p: Normal[Array], q: Normal[Array]) -> Array:
    xp = p.xp
    ratio = (p.scale / q.scale) * xp.ones_like(p.loc)
    diff = (p.loc - q.loc) / q.scale
    return 0.5 * (ratio * ratio + diff * diff - 1.0) - xp.log(ratio)
