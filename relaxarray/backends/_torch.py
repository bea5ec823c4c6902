"""PyTorch adapter: ``detach``, ``torch.autograd.Function``, ``torch.Generator``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from relaxarray._lib import seeds, threefry
from relaxarray._lib.threefry import PortableKey
from relaxarray.backends._base import Adapter, Array, Bwd, Fwd, Uint32Ops

_MODULE: list[Any] = []
#: ``arange(k)`` constants of ``index_vector``, per (k, dtype, device); bounded
_INDEX: dict[tuple[int, Any, Any], Any] = {}
#: ``finfo(dtype).smallest_normal`` per dtype (``torch.finfo`` costs a call per draw)
_TINY: dict[Any, float] = {}


def _dtensor_class() -> Any:
    """``torch.distributed.tensor.DTensor`` if torch.distributed is usable, else None."""
    import sys

    torch = _torch()
    if "torch.distributed.tensor" not in sys.modules or not torch.distributed.is_available():
        return None  # nobody built a DTensor without importing it
    return sys.modules["torch.distributed.tensor"].DTensor


def _torch() -> Any:
    """The torch module, imported on first use (not at relaxarray's import)."""
    if not _MODULE:
        import torch

        _MODULE.append(torch)
        huber = getattr(getattr(torch._C, "_nn", None), "huber_loss", None)
        if huber is not None:
            _HUBER.append(huber)
        _SOFTPLUS.append(torch.nn.functional.softplus)
    return _MODULE[0]


_COMPILE_RNG = (
    "rng={kind} cannot be used under torch.compile: dynamo cannot trace creating or "
    "passing a torch.Generator. Inside a compiled function pass rng=None (torch's global "
    "generator, seeded by torch.manual_seed; inductor draws with its own Philox stream), "
    "a portable key (relaxarray.random.portable(seed): the same bits as eager), or noise="
)

#: ``torch._C._nn.huber_loss`` where this torch has it (the kernel behind F.huber_loss)
_HUBER: list[Any] = []
_SOFTPLUS: list[Any] = []


class Int32LaneOps(Uint32Ops):
    """32-bit words held as the bit patterns of ``int32`` lanes.

    torch lacks most ``uint32`` arithmetic (add, shifts on CPU and CUDA), but two's
    complement ``int32`` addition wraps modulo ``2**32`` exactly as ``uint32`` addition
    does, and xor and left shifts act on the same bits. Only right shifts differ (they
    are arithmetic on ``int32``), so they are masked to a logical shift. A word ``w``
    in ``[2**31, 2**32)`` is stored as ``w - 2**32``.
    """

    def __init__(self, xp: Any, device: Any) -> None:
        super().__init__(xp, device)
        self.dtype = _torch().int32

    @staticmethod
    def _signed(value: int) -> int:
        return value - (1 << 32) if value >= (1 << 31) else value

    def _scalar(self, value: int) -> Array:
        return self._signed(value)

    def iota(self, n: int) -> Array:
        if n > (1 << 31):
            raise ValueError(f"torch's portable stream draws at most 2**31 blocks, asked for {n}")
        return self.xp.arange(n, dtype=self.dtype, device=self.device)

    def words(self, value: Any, like: Array) -> Array:
        if isinstance(value, int):
            value = self._signed(value)
        return super().words(value, like)

    def add(self, a: Array, b: Array | int) -> Array:
        return a + (self._signed(b) if isinstance(b, int) else b)

    def rotl(self, x: Array, r: int) -> Array:
        return (x << r) | ((x >> (32 - r)) & ((1 << r) - 1))

    def shr(self, x: Array, r: int) -> Array:
        return (x >> r) & ((1 << (32 - r)) - 1)

    def rounds(self, x0: Array, x1: Array, ks: list[Any]) -> tuple[Array, Array]:
        # fused: in place on the fresh words, one temporary per block (the same bits)
        torch = _torch()
        if (
            not all(isinstance(k, int) for k in ks)
            or torch.compiler.is_compiling()
            or not (
                type(x0) is torch.Tensor
                and type(x1) is torch.Tensor
                and x0.ndim == 1
                and x0.shape == x1.shape
                and x0.is_contiguous()
                and x1.is_contiguous()
            )
        ):
            return super().rounds(x0, x1, ks)
        plan = [
            (
                r,
                (1 << r) - 1,
                None if a is None else self._signed(a),
                None if b is None else self._signed(b),
            )
            for r, a, b in threefry.schedule(ks)
        ]
        n = x0.shape[0]
        block = 1 << 20
        tmp = torch.empty(min(block, n), dtype=x0.dtype, device=x0.device)
        for start in range(0, n, block):
            a, b = x0[start : start + block], x1[start : start + block]
            t = tmp[: a.shape[0]]
            for r, low, add0, add1 in plan:
                a.add_(b)
                torch.bitwise_right_shift(b, 32 - r, out=t)  # arithmetic: mask it
                t.bitwise_and_(low)
                b.bitwise_left_shift_(r).bitwise_or_(t).bitwise_xor_(a)
                if add0 is not None:
                    a.add_(add0)
                    b.add_(add1)
        return x0, x1


class TorchAdapter(Adapter):
    name = "torch"
    differentiable = True

    def __init__(self, xp: Any) -> None:
        super().__init__(xp)
        _torch()  # fills the module-level caches the fused kernels read

    def stop_gradient(self, x: Array) -> Array:
        return x.detach()

    def custom_vjp(self, fwd: Fwd, bwd: Bwd) -> Callable[..., Array]:
        torch = _torch()

        class _Fn(torch.autograd.Function):  # type: ignore[misc,name-defined]
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

    #: device types whose values are read without a device-to-host copy
    HOST_DEVICE_TYPES = frozenset({"cpu"})

    def values_on_host(self, x: Array) -> bool:
        device = getattr(x, "device", None)
        return device is None or device.type in self.HOST_DEVICE_TYPES

    # -- random numbers -----------------------------------------------------------------
    def owns_rng(self, rng: object) -> bool:
        cls = type(rng)
        return cls.__module__.startswith("torch") and cls.__name__ == "Generator"

    def device_of(self, x: Array) -> Any:
        if type(x) is _torch().Tensor:  # the common case without array-api-compat's checks
            return x.device
        return super().device_of(x)

    def _place(self, rng: object, device: Any) -> Any:
        torch = _torch()
        if device is not None:
            return device if type(device) is torch.device else torch.device(device)
        if isinstance(rng, torch.Generator):
            return torch.device(rng.device)
        return torch.get_default_device()

    def _generator(self, rng: object, device: Any) -> Any:
        torch = _torch()
        if device.type == "meta":
            return None
        if rng is None:
            return None  # torch's own default generator: the framework's state, not ours
        if torch.compiler.is_compiling():
            raise TypeError(_COMPILE_RNG.format(kind=type(rng).__name__))
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

    # -- layout: a DTensor's noise is drawn block by block on each rank ------------------
    def noise_like(
        self, kind: str, rng: object, shape: tuple[int, ...], like: Array, sample_ndim: int = 0
    ) -> Array:
        fast = self._plain_uniform(kind, rng, shape, like)
        if fast is not None:
            return fast
        dtensor = _dtensor_class()
        if dtensor is None or not isinstance(like, dtensor):
            return super().noise_like(kind, rng, shape, like, sample_ndim)
        from torch.distributed.tensor import Replicate, Shard
        from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

        torch = _torch()
        mesh = like.device_mesh
        lead = len(shape) - like.ndim
        placements: list[Any] = []
        for p in like.placements:
            if p.is_shard():
                d = p.dim % like.ndim
                if like.shape[d] == shape[lead + d]:
                    placements.append(Shard(lead + d))
                    continue
            placements.append(Replicate())  # replicated (or partial) parameters: whole noise
        local_shape, offset = compute_local_shape_and_global_offset(shape, mesh, placements)
        local_shape, offset = tuple(local_shape), tuple(offset)
        local_like = like.to_local()
        dtype, device = local_like.dtype, local_like.device
        if isinstance(rng, PortableKey):
            ops = self.uint32_ops(device)
            draw_at = threefry.normal_at if kind == "normal" else threefry.uniform_at
            local = draw_at(ops, rng, threefry.flat_index(ops, shape, offset, local_shape), dtype)
        else:
            if isinstance(rng, int) and not isinstance(rng, bool):
                # one stream per block, from the seed and the block's global position:
                # ranks holding different blocks draw different noise, replicas the same
                flat = sum(o * s for o, s in zip(offset, _strides(shape), strict=True))
                mixed = (rng ^ (flat * 0x9E3779B97F4A7C15)) & ((1 << 63) - 1)
                rng = seeds.split(mixed, 1)[0]  # type: ignore[index]
            draw = self._normal if kind == "normal" else self._uniform
            local = draw(rng, local_shape, dtype, device)
        return dtensor.from_local(
            local,
            mesh,
            placements,
            run_check=False,
            shape=torch.Size(shape),
            stride=_strides(shape),
        )

    def _plain_uniform(
        self, kind: str, rng: object, shape: tuple[int, ...], like: Array
    ) -> Array | None:
        """The hot path of :meth:`noise_like`: uniform noise for a plain tensor from
        torch's global generator or a ``torch.Generator`` on ``like``'s device type (the
        same draw as :meth:`_uniform`, without its dispatch); ``None`` for anything else."""
        torch = _MODULE[0]
        if kind != "uniform" or type(like) is not torch.Tensor:
            return None
        gen: Any = rng
        if gen is not None and torch.compiler.is_compiling():
            return None  # the general path explains what compiles
        if gen is not None and (
            type(gen) is not torch.Generator or gen.device.type != like.device.type
        ):
            return None  # int seeds, portable keys, errors: the general path
        dtype = like.dtype
        tiny = _TINY.get(dtype)
        if tiny is None or like.device.type == "meta":
            return None
        return torch.rand(shape, generator=gen, dtype=dtype, device=like.device).clamp_min_(tiny)

    def log_neg_log(self, u: Array, owned: bool) -> Array | None:
        torch = _MODULE[0]
        if owned and type(u) is torch.Tensor and not u.requires_grad:
            return u.log_().neg_().log_()  # the fresh draw is ours: no new buffers
        return None

    def uint32_ops(self, device: Any) -> Uint32Ops:
        return Int32LaneOps(self.xp, device)

    def _portable(
        self, draw: Any, key: Any, shape: tuple[int, ...], dtype: Any, device: Any
    ) -> Array:
        return super()._portable(draw, key, shape, dtype, self._place(None, device))

    def _uniform(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        torch = _torch()
        device = self._place(rng, device)
        gen = self._generator(rng, device)
        u = torch.rand(shape, generator=gen, dtype=dtype, device=device)
        tiny = _TINY.get(dtype)
        if tiny is None:
            tiny = _TINY[dtype] = torch.finfo(dtype).smallest_normal
        return u.clamp_min_(tiny)

    def _normal(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        torch = _torch()
        device = self._place(rng, device)
        gen = self._generator(rng, device)
        return torch.randn(shape, generator=gen, dtype=dtype, device=device)

    def _gamma(
        self, rng: object, concentration: Array, shape: tuple[int, ...], dtype: Any, device: Any
    ) -> Array:
        # torch._standard_gamma has implicit reparameterisation gradients
        torch = _torch()
        device = self._place(rng, device)
        gen = self._generator(rng, device)
        c = concentration.to(dtype=dtype, device=device).expand(shape).contiguous()
        return torch._standard_gamma(c, generator=gen).clamp_min(torch.finfo(dtype).smallest_normal)

    def _split_native(self, rng: object, num: int) -> list[object]:
        torch = _torch()
        if not isinstance(rng, torch.Generator):
            raise TypeError(
                "rng must be None, an int seed, a portable key or a torch.Generator for the "
                f"torch backend, got {type(rng).__name__}"
            )
        seeds = torch.randint(
            0, 2**62, (num,), generator=rng, device=rng.device, dtype=torch.int64
        ).tolist()
        return [torch.Generator(device=rng.device).manual_seed(int(s)) for s in seeds]

    # -- conversion and differentiation ---------------------------------------------------
    def from_numpy(self, a: Any, device: Any) -> Array:
        return _torch().as_tensor(a.copy(), device=device)

    def to_numpy(self, x: Array) -> Any:
        return x.detach().cpu().resolve_conj().numpy()

    def value_and_grad(
        self, fn: Callable[..., Array], args: Sequence[Any], argnums: Sequence[int]
    ) -> tuple[Array, tuple[Array, ...]]:
        torch = _torch()
        args = list(args)
        for i in argnums:
            args[i] = args[i].detach().clone().requires_grad_(True)
        value = fn(*args)
        inputs = [args[i] for i in argnums]
        if not value.requires_grad:  # a constant of the inputs (e.g. stop_gradient)
            return value.detach(), tuple(torch.zeros_like(x) for x in inputs)
        grads = torch.autograd.grad(value, inputs, allow_unused=True)
        return value.detach(), tuple(
            torch.zeros_like(x) if g is None else g for x, g in zip(inputs, grads, strict=True)
        )

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
        return _torch().softmax(x, axis)

    def log_softmax(self, x: Array, axis: int) -> Array | None:
        return _torch().log_softmax(x, axis)

    def logsumexp(self, x: Array, axis: int, keepdims: bool) -> Array | None:
        return _torch().logsumexp(x, axis, keepdims)

    def huber(self, x: Array, y: Array, delta: float) -> Array | None:
        torch = _torch()
        if _HUBER and not torch.compiler.is_compiling():
            # the kernel itself: F.huber_loss re-checks and broadcasts same-shape inputs
            # in Python (a few microseconds per call); 0 is reduction="none"
            return _HUBER[0](x, y, 0, delta)
        return torch.nn.functional.huber_loss(x, y, reduction="none", delta=delta)

    def softplus(self, x: Array, beta: float) -> Array | None:
        # torch returns x itself above the threshold; log1p(exp(-t)) is below half an ulp
        # of t for t = 20 in float32 but not in float64, where 40 is needed.
        softplus = _SOFTPLUS[0]  # filled by __init__
        if x.dtype == _MODULE[0].float64:
            return softplus(x, beta, 40.0)
        if beta == 1.0:  # the defaults (beta 1, threshold 20): the fastest argument parsing
            return softplus(x)
        return softplus(x, beta, 20.0)

    def sigmoid(self, x: Array) -> Array | None:
        return _torch().sigmoid(x)

    def one_hot_argmax(self, x: Array, axis: int, dtype: Any) -> Array | None:
        torch = _torch()
        if type(x) is not torch.Tensor:  # DTensor & co.: the core's form keeps the layout
            return None
        idx = torch.argmax(x.detach(), dim=axis, keepdim=True)  # the first maximum
        return torch.zeros_like(x, dtype=dtype).scatter(axis, idx, 1.0)

    def index_vector(self, like: Array, k: int) -> Array | None:
        torch = _torch()
        if type(like) is not torch.Tensor or torch.compiler.is_compiling():
            return None  # a traced or fake tensor must never be cached
        key = (k, like.dtype, like.device)
        idx = _INDEX.get(key)
        if idx is None:
            if len(_INDEX) >= 64:
                _INDEX.clear()
            with torch.inference_mode(False):  # usable by autograd later
                idx = torch.arange(k, dtype=like.dtype, device=like.device)
            if type(idx) is not torch.Tensor:  # made under a tensor mode: do not keep
                return idx
            _INDEX[key] = idx
        return idx

    def top_k_mask(self, x: Array, k: int, axis: int) -> Array | None:
        torch = _torch()
        x = x.detach()
        idx = torch.topk(x, k, dim=axis, sorted=False).indices
        return torch.zeros_like(x).scatter_(axis, idx, 1.0)


def _strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    out, s = [], 1
    for n in reversed(shape):
        out.append(s)
        s *= n
    return tuple(reversed(out))
