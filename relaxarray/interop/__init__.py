"""Bridges to the probabilistic-programming libraries users already run.

:func:`to_torch` turns a relaxarray distribution on torch tensors into a real
``torch.distributions.Distribution`` (a Pyro ``TorchDistribution`` when Pyro is
installed), so it can be used as a Pyro sample site, inside ``torch.distributions``
code, and with ``torch.distributions.kl_divergence``. :func:`to_numpyro` does the same
for NumPyro on JAX arrays. The wrappers hold the relaxarray distribution and delegate
every method to it (one implementation of the math); the same bridges are reachable as
``Distribution.to_torch()`` and ``Distribution.to_numpyro()``.

Importing this package imports no framework: each bridge imports its framework when it
is first called.
"""

from __future__ import annotations

from typing import Any

__all__ = ["to_numpyro", "to_torch"]


def to_torch(dist: Any, /) -> Any:
    """A ``torch.distributions.Distribution`` that delegates to the relaxarray ``dist``.

    ``rsample``/``sample`` draw with ``rng=None``: torch's global generator, so
    ``torch.manual_seed`` and ``pyro.set_rng_seed`` make a run reproducible;
    ``log_prob``, ``entropy``, ``mean``, ``mode``, ``variance``, ``expand`` and
    ``enumerate_support`` are relaxarray's, and ``support`` is relaxarray's support as a
    ``torch.distributions.constraints`` object (so Pyro's ``TraceEnum_ELBO`` enumerates a
    discrete site exactly); ``torch.distributions.kl_divergence`` of two wrapped distributions is
    :func:`relaxarray.distributions.kl_divergence` of the wrapped pair. When Pyro is
    installed the wrapper is a ``pyro.distributions.TorchDistribution`` (``to_event``,
    ``mask``, plates and SVI work); a distribution without a reparameterised sampler
    (``has_rsample`` false, e.g. ``Bernoulli``) is a score-function site in Pyro's ELBOs.

    Parameters
    ----------
    dist : relaxarray.distributions.Distribution
        A distribution whose parameters are torch tensors.

    Returns
    -------
    torch.distributions.Distribution
        The wrapper; the relaxarray distribution is its ``.base`` attribute.

    Examples
    --------
    >>> import torch
    >>> from relaxarray.distributions import Bernoulli
    >>> d = Bernoulli(logits=torch.tensor([0.0, 2.0])).to_torch()
    >>> isinstance(d, torch.distributions.Distribution)
    True
    >>> d.log_prob(torch.tensor([1.0, 1.0]))
    tensor([-0.6931, -0.1269])
    """
    return dist.to_torch()


def to_numpyro(dist: Any, /) -> Any:
    """A ``numpyro.distributions.Distribution`` that delegates to the relaxarray ``dist``.

    ``sample(key, sample_shape)``/``rsample(key, sample_shape)`` draw with the JAX key;
    ``log_prob``, ``entropy``, ``mean``, ``variance``, ``expand`` and ``enumerate_support``
    are relaxarray's; ``support`` is relaxarray's support as a NumPyro constraint (a
    one-hot support becomes ``simplex``, NumPyro having no one-hot constraint). A
    distribution without a reparameterised sampler is a score-function site for NumPyro's
    ``TraceGraph_ELBO``.

    Parameters
    ----------
    dist : relaxarray.distributions.Distribution
        A distribution whose parameters are JAX arrays.

    Returns
    -------
    numpyro.distributions.Distribution
        The wrapper; the relaxarray distribution is its ``.base`` attribute.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from relaxarray.distributions import Bernoulli
    >>> d = Bernoulli(logits=jnp.asarray([0.0, 2.0])).to_numpyro()
    >>> d.batch_shape
    (2,)
    """
    return dist.to_numpyro()
