"""``to_torch``: a relaxarray distribution as a torch (or Pyro) distribution."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import cache
from typing import Any

from relaxarray.interop._constraints import native_constraint

KL = Callable[[Any, Any], Any]


@cache
def wrapper_class() -> type:
    """The wrapper class, built once: on Pyro's ``TorchDistribution`` if Pyro is installed."""
    import torch

    base: type = torch.distributions.Distribution
    if importlib.util.find_spec("pyro") is not None:
        import pyro.distributions

        base = pyro.distributions.TorchDistribution

    class RelaxarrayDistribution(base):  # type: ignore[misc]
        """A torch distribution whose every method is the wrapped relaxarray one's."""

        arg_constraints: dict[str, Any] = {}  # noqa: RUF012  (torch's class attribute)

        def __init__(self, dist: Any, kl: KL) -> None:
            self.base = dist
            self._kl = kl
            super().__init__(
                batch_shape=torch.Size(dist.batch_shape),
                event_shape=torch.Size(dist.event_shape),
                validate_args=False,
            )

        @property
        def has_rsample(self) -> bool:
            return bool(self.base.has_rsample)

        @property
        def support(self) -> Any:
            return native_constraint(
                self.base.support, torch.distributions.constraints, len(self.base.event_shape)
            )

        @property
        def has_enumerate_support(self) -> bool:
            return bool(self.base.has_enumerate_support)

        def enumerate_support(self, expand: bool = True) -> Any:
            return self.base.enumerate_support(expand=expand)

        def rsample(self, sample_shape: Any = ()) -> Any:
            return self.base.rsample(tuple(sample_shape))

        def sample(self, sample_shape: Any = ()) -> Any:
            with torch.no_grad():
                return self.base.sample(tuple(sample_shape))

        def log_prob(self, value: Any) -> Any:
            return self.base.log_prob(value)

        def entropy(self) -> Any:
            return self.base.entropy()

        @property
        def mean(self) -> Any:
            return self.base.mean

        @property
        def mode(self) -> Any:
            return self.base.mode

        @property
        def variance(self) -> Any:
            return self.base.variance

        def expand(self, batch_shape: Any, _instance: Any = None) -> Any:
            return type(self)(self.base.expand(tuple(batch_shape)), self._kl)

        def __repr__(self) -> str:
            return f"{type(self).__name__}({self.base!r})"

    def _kl(p: Any, q: Any) -> Any:
        return p._kl(p.base, q.base)

    register: Any = torch.distributions.kl.register_kl
    register(RelaxarrayDistribution, RelaxarrayDistribution)(_kl)

    return RelaxarrayDistribution


def wrap(dist: Any, kl: KL) -> Any:
    """Wrap ``dist`` (parameters: torch tensors); ``kl`` is relaxarray's ``kl_divergence``."""
    import torch

    for a in dist._arrays():
        if not isinstance(a, torch.Tensor):
            raise TypeError(
                f"to_torch needs a distribution on torch tensors; {type(dist).__name__} "
                f"holds a {type(a).__module__}.{type(a).__name__}"
            )
    return wrapper_class()(dist, kl)
