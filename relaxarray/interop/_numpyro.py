"""``to_numpyro``: a relaxarray distribution as a NumPyro distribution."""

from __future__ import annotations

from functools import cache
from typing import Any

from relaxarray.interop._constraints import native_constraint


@cache
def wrapper_class() -> type:
    """The wrapper class, built once (NumPyro imported on the first call)."""
    import numpyro.distributions as nd

    class RelaxarrayDistribution(nd.Distribution):  # type: ignore[misc]
        """A NumPyro distribution whose every method is the wrapped relaxarray one's."""

        arg_constraints: dict[str, Any] = {}  # noqa: RUF012  (NumPyro's class attribute)
        pytree_data_fields = ("base",)

        def __init__(self, dist: Any) -> None:
            self.base = dist
            super().__init__(
                batch_shape=tuple(dist.batch_shape),
                event_shape=tuple(dist.event_shape),
                validate_args=False,
            )

        @property
        def support(self) -> Any:
            return native_constraint(self.base.support, nd.constraints, len(self.base.event_shape))

        @property
        def has_enumerate_support(self) -> bool:
            return bool(self.base.has_enumerate_support)

        def enumerate_support(self, expand: bool = True) -> Any:
            return self.base.enumerate_support(expand=expand)

        @property
        def has_rsample(self) -> bool:
            return bool(self.base.has_rsample)

        @property
        def reparametrized_params(self) -> list[str]:
            return []

        def sample(self, key: Any, sample_shape: tuple[int, ...] = ()) -> Any:
            return self.base.sample(tuple(sample_shape), rng=key)

        def rsample(self, key: Any, sample_shape: tuple[int, ...] = ()) -> Any:
            return self.base.rsample(tuple(sample_shape), rng=key)

        def log_prob(self, value: Any) -> Any:
            return self.base.log_prob(value)

        def entropy(self) -> Any:
            return self.base.entropy()

        @property
        def mean(self) -> Any:
            return self.base.mean

        @property
        def variance(self) -> Any:
            return self.base.variance

        def expand(self, batch_shape: Any) -> Any:
            return type(self)(self.base.expand(tuple(batch_shape)))

    return RelaxarrayDistribution


def wrap(dist: Any) -> Any:
    """Wrap ``dist`` (parameters: JAX arrays)."""
    import jax

    for a in dist._arrays():
        if not isinstance(a, jax.Array):
            raise TypeError(
                f"to_numpyro needs a distribution on JAX arrays; {type(dist).__name__} "
                f"holds a {type(a).__module__}.{type(a).__name__}"
            )
    return wrapper_class()(dist)
