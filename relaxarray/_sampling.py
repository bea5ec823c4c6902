"""Shared plumbing of the samplers: ``rng=``/``noise=`` resolution and small numerics.

Every sampler takes exactly one of ``rng=`` (draw base noise of the full broadcast shape
``sample_shape + batch_shape``) or ``noise=`` (use this base noise; its shape is the
sample's shape and must already include the batch shape).
"""

from __future__ import annotations

from typing import Any

from relaxarray._lib._typing import Array, Namespace
from relaxarray._namespace import array_namespace, as_float_array, check_noise
from relaxarray.backends._base import Adapter, shape_tuple

__all__ = ["batch_of", "get_noise", "log_sigmoid", "sigmoid", "sigmoid_precise", "softplus"]


def get_noise(
    xp: Namespace,
    adapter: Adapter,
    *,
    rng: object,
    noise: Any,
    sample_shape: int | tuple[int, ...],
    batch_shape: tuple[int, ...],
    like: Array,
    kind: str = "uniform",
    name: str = "noise",
) -> Array:
    """Return the base noise: drawn from ``rng`` or checked from ``noise``.

    ``kind`` is ``"uniform"`` (values in ``[tiny, 1)``), ``"normal"`` or ``"gumbel"``
    (``-log(-log u)`` of uniform noise). This is the one place every sampler, gate and
    estimator resolves ``rng=``/``noise=``: exactly one of them; drawn noise has the full
    shape ``sample_shape + batch_shape`` and the layout of ``like`` (sharding, DTensor
    placements, dask chunks: :meth:`Adapter.noise_like`); given noise must already
    include the whole batch (no noise shared across batch entries) and is used in
    ``like``'s dtype.

    Neither given (``rng=None``, the default) draws from the framework's own global
    generator where it has one (torch's default generator, which ``torch.manual_seed``
    seeds and ``torch.compile`` traces; cupy's), from fresh OS entropy on NumPy and other
    namespaces (``numpy.random.default_rng()``: not reproducible), and raises ``TypeError``
    on JAX, which has no global generator.
    """
    if noise is not None and rng is not None:
        raise ValueError("pass exactly one of rng= or noise=, not both")
    if type(sample_shape) is tuple and not sample_shape:  # the default, without the checks
        sshape: tuple[int, ...] = ()
    else:
        sshape = shape_tuple(sample_shape, "sample_shape")
    if noise is None:
        shape = sshape + tuple(batch_shape)
        base = "normal" if kind == "normal" else "uniform"
        u = adapter.noise_like(base, rng, shape, like, len(sshape))
        return -xp.log(-xp.log(u)) if kind == "gumbel" else u
    if sshape:
        raise ValueError(
            "sample_shape cannot be combined with noise=: the noise's shape is the sample's "
            "shape (sample_shape + batch_shape)"
        )
    if array_namespace(noise, like) is not xp:
        raise TypeError(f"{name} must come from the same array library as the parameters")
    as_float_array(noise, name, xp)
    nshape = tuple(noise.shape)
    try:
        full = tuple(xp.broadcast_shapes(nshape, tuple(batch_shape)))
    except (ValueError, RuntimeError):
        full = None
    if full != nshape:
        raise ValueError(
            f"{name} must have the sample's full shape (sample_shape + {tuple(batch_shape)}), "
            f"got shape {nshape}; draw independent noise for every batch entry"
        )
    noise = noise if noise.dtype == like.dtype else xp.astype(noise, like.dtype)
    check_noise(
        noise,
        "normal" if kind == "normal" else "gumbel" if kind == "gumbel" else "uniform",
        adapter,
        name,
    )
    return noise


def sigmoid(xp: Namespace, adapter: Adapter, x: Array) -> Array:
    """Logistic sigmoid with finite values and gradients for every finite input.

    The adapter's fused kernel where there is one, else :func:`sigmoid_precise` (full
    relative precision in both tails, no overflow, no branch).
    """
    fast = adapter.sigmoid(x)
    if fast is not None:
        return fast
    return sigmoid_precise(xp, x)


def log_sigmoid(xp: Namespace, x: Array) -> Array:
    r""":math:`\log\sigma(x) = -\mathrm{softplus}(-x)`, finite for every finite ``x``."""
    return -xp.logaddexp(xp.zeros_like(x), -x)


def sigmoid_precise(xp: Namespace, x: Array) -> Array:
    """Sigmoid with full relative precision in the lower tail (for probabilities)."""
    return xp.exp(log_sigmoid(xp, x))


def softplus(xp: Namespace, x: Array) -> Array:
    r""":math:`\log(1 + e^x)` without overflow."""
    return xp.logaddexp(xp.zeros_like(x), x)


def batch_of(xp: Namespace, name_shapes: list[tuple[str, tuple[int, ...]]]) -> tuple[int, ...]:
    """Broadcast the named shapes, with a ValueError naming them when they do not."""
    try:
        return tuple(xp.broadcast_shapes(*[s for _, s in name_shapes]))
    except (ValueError, RuntimeError) as exc:
        desc = ", ".join(f"{n} {s}" for n, s in name_shapes)
        raise ValueError(f"shapes do not broadcast together: {desc}") from exc
