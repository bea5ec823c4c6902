"""PyTorch adapter: ``detach``, ``torch.autograd.Function``, ``torch.Generator``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relaxarray.backends._base import Adapter, Array, Bwd, Fwd


def _torch() -> Any:
    import torch

    return torch


class TorchAdapter(Adapter):
    name = "torch"
    differentiable = True

    def stop_gradient(self, x: Array) -> Array:
        return x.detach()

    def custom_vjp(self, fwd: Fwd, bwd: Bwd) -> Callable[..., Array]:
        torch = _torch()

        class _Fn(torch.autograd.Function):  # type: ignore[misc]
            @staticmethod
            def forward(ctx: Any, *xs: Array) -> Array:
                out, res = fwd(*xs)
                ctx.residuals = res
                return out

            @staticmethod
            def backward(ctx: Any, g: Array) -> tuple[Array, ...]:
                return tuple(bwd(ctx.residuals, g))

        def f(*xs: Array) -> Array:
            return _Fn.apply(*xs)

        return f

    def is_concrete(self, x: Array) -> bool:
        torch = _torch()
        if torch.compiler.is_compiling():
            return False
        return not (isinstance(x, torch.Tensor) and x.device.type == "meta")

    # -- random numbers -----------------------------------------------------------------
    def owns_rng(self, rng: object) -> bool:
        cls = type(rng)
        return cls.__module__.startswith("torch") and cls.__name__ == "Generator"

    def _place(self, rng: object, device: Any) -> Any:
        torch = _torch()
        if device is not None:
            return torch.device(device)
        if isinstance(rng, torch.Generator):
            return torch.device(rng.device)
        return torch.get_default_device()

    def _generator(self, rng: object, device: Any) -> Any:
        torch = _torch()
        if device.type == "meta":
            return None
        if rng is None:
            return None  # torch's own default generator: the framework's state, not ours
        if isinstance(rng, int):
            return torch.Generator(device=device).manual_seed(rng)
        if isinstance(rng, torch.Generator):
            if torch.device(rng.device).type != device.type:
                raise ValueError(
                    f"rng is a torch.Generator on device {rng.device!s} but the arrays are "
                    f"on {device!s}; create it with torch.Generator(device={str(device)!r})"
                )
            return rng
        raise TypeError(
            "rng must be None, an int seed or a torch.Generator for the torch backend, "
            f"got {type(rng).__name__}"
        )

    def uniform(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        torch = _torch()
        device = self._place(rng, device)
        gen = self._generator(rng, device)
        u = torch.rand(shape, generator=gen, dtype=dtype, device=device)
        return u.clamp_min_(torch.finfo(dtype).smallest_normal)

    def normal(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        torch = _torch()
        device = self._place(rng, device)
        gen = self._generator(rng, device)
        return torch.randn(shape, generator=gen, dtype=dtype, device=device)

    def gamma(
        self, rng: object, concentration: Array, shape: tuple[int, ...], dtype: Any, device: Any
    ) -> Array:
        # torch._standard_gamma has implicit reparameterisation gradients
        torch = _torch()
        device = self._place(rng, device)
        gen = self._generator(rng, device)
        c = concentration.to(dtype=dtype, device=device).expand(shape).contiguous()
        return torch._standard_gamma(c, generator=gen).clamp_min(torch.finfo(dtype).smallest_normal)

    def split(self, rng: object, num: int) -> list[object]:
        torch = _torch()
        assert isinstance(rng, torch.Generator)
        seeds = torch.randint(
            0, 2**62, (num,), generator=rng, device=rng.device, dtype=torch.int64
        ).tolist()
        return [torch.Generator(device=rng.device).manual_seed(int(s)) for s in seeds]

    # -- special functions -----------------------------------------------------------
    def lgamma(self, x: Array) -> Array:
        return _torch().lgamma(x)

    def digamma(self, x: Array) -> Array:
        return _torch().special.digamma(x)

    def erf(self, x: Array) -> Array:
        return _torch().special.erf(x)

    def erfc(self, x: Array) -> Array:
        return _torch().special.erfc(x)

    # -- fused kernels -------------------------------------------------------------------
    def softmax(self, x: Array, axis: int) -> Array | None:
        return _torch().softmax(x, dim=axis)

    def log_softmax(self, x: Array, axis: int) -> Array | None:
        return _torch().log_softmax(x, dim=axis)

    def logsumexp(self, x: Array, axis: int, keepdims: bool) -> Array | None:
        return _torch().logsumexp(x, dim=axis, keepdim=keepdims)

    def sigmoid(self, x: Array) -> Array | None:
        return _torch().sigmoid(x)

    def top_k_mask(self, x: Array, k: int, axis: int) -> Array | None:
        torch = _torch()
        x = x.detach()
        idx = torch.topk(x, k, dim=axis, sorted=False).indices
        return torch.zeros_like(x).scatter_(axis, idx, 1.0)
