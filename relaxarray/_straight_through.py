r"""Stop-gradient algebra: straight-through estimators (Bengio et al. 2013).

``straight_through(hard, soft)`` has the value of ``hard`` and the gradient of ``soft``.
It is computed as :math:`\mathrm{sg}(h) + (s - \mathrm{sg}(s))`, so the value is exactly
``hard`` (``s - s`` is exactly zero in floating point), which ``s + sg(h - s)`` does not
guarantee.
"""

from __future__ import annotations

from typing import Any

from relaxarray._lib._typing import Array, ArrayT
from relaxarray._namespace import array_namespace, namespace_and_adapter
from relaxarray._relaxations import _prepare, _softmax, one_hot_argmax, soft_argmax
from relaxarray.backends import get_adapter
from relaxarray.backends._base import Adapter

__all__ = ["st_argmax", "stop_gradient", "straight_through"]


def stop_gradient(x: ArrayT, /) -> ArrayT:
    r"""Identity in the forward pass, zero gradient in the backward pass.

    :math:`\mathrm{sg}(a) = a`, :math:`\nabla\,\mathrm{sg}(a) = 0`. ``x.detach()`` on
    torch, ``jax.lax.stop_gradient`` on JAX, the identity without autodiff.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.stop_gradient(np.array([1.0, 2.0]))
    array([1., 2.])
    """
    return get_adapter(array_namespace(x)).stop_gradient(x)


def straight_through(hard: ArrayT, soft: ArrayT, /) -> ArrayT:
    r"""The value of ``hard`` with the gradient of ``soft``.

    .. math:: \mathrm{ST}(h, s) = \mathrm{sg}(h) + s - \mathrm{sg}(s)

    Parameters
    ----------
    hard : array
        The forward value (e.g. a one-hot sample); no gradient flows into it.
    soft : array
        The differentiable surrogate; must broadcast with ``hard``.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.straight_through(np.array([0.0, 1.0]), np.array([0.3, 0.7]))
    array([0., 1.])
    """
    for name, v in (("hard", hard), ("soft", soft)):
        if not hasattr(v, "shape"):
            raise TypeError(f"{name} must be an array, got {type(v).__name__}")
    xp, adapter = namespace_and_adapter(hard, soft)
    if hard.shape != soft.shape:
        try:
            xp.broadcast_shapes(hard.shape, soft.shape)
        except Exception as exc:  # ValueError, or RuntimeError on torch
            raise ValueError(
                f"hard and soft must broadcast together, got shapes {hard.shape} and {soft.shape}"
            ) from exc
    hard = xp.astype(hard, soft.dtype) if hard.dtype != soft.dtype else hard
    return _straight_through(adapter, hard, soft)


def _straight_through(adapter: Adapter, hard: Array, soft: Array) -> Array:
    """The kernel of :func:`straight_through`, for validated ``hard`` and ``soft`` of one
    namespace and dtype (every straight-through output calls it)."""
    sg = adapter.stop_gradient
    return sg(hard) + (soft - sg(soft))


def st_argmax(
    x: ArrayT, /, *, temperature: Any = 1.0, axis: int = -1, one_hot: bool = False
) -> ArrayT:
    r"""The lecture's straight-through arg max.

    .. math:: \mathrm{STargmax}(x) = \operatorname{softargmax}(x) +
       \mathrm{sg}(\arg\max(x) - \operatorname{softargmax}(x))

    The value is the exact arg max index (as a float in ``x``'s dtype); the gradient is
    that of :func:`soft_argmax` at temperature ``T``. With ``one_hot=True`` the value is
    the one-hot arg max and the gradient that of :func:`softmax` ``(x / T)``.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> float(rx.st_argmax(np.array([1.1, 4.0, -0.1, 2.3])))
    1.0
    >>> rx.st_argmax(np.array([1.1, 4.0, -0.1, 2.3]), one_hot=True)
    array([0., 1., 0., 0.])
    """
    xp, adapter, z, ax = _prepare(x, temperature, axis)
    if one_hot:
        return straight_through(one_hot_argmax(x, axis=ax), _softmax(xp, adapter, z, ax))
    hard = xp.astype(xp.argmax(x, axis=ax), x.dtype)
    return straight_through(hard, soft_argmax(x, temperature=temperature, axis=ax))
