"""Whole-API sweep: every public callable, extreme valid input and bad input, per backend.

The callables are DISCOVERED from ``relaxarray.__all__``, ``relaxarray.estimators.__all__``,
``relaxarray.distributions.__all__`` and ``relaxarray.random.__all__``; their arguments
come from a small table of recipes keyed by PARAMETER NAME (``logits`` is a logits array,
``temperature`` a positive scalar, ``rng`` a generator, ...) with a few per-callable
overrides. A public callable whose parameters have no recipe fails
``test_every_callable_has_a_recipe``.

Valid input (hypothesis, derandomized): logits up to +-1e4, temperatures 1e-3..1e3,
every floating dtype the backend has, a size-1 axis, a large category axis, an empty
batch. Asserted: finite values, finite gradients (torch, jax), dtype and device kept.

Bad input (a fixed list of kinds, chosen by the callable's parameters): temperature 0,
negative, NaN, inf or a string; probabilities outside [0, 1]; NaN inside the logits;
integer, boolean and list inputs; arrays of two libraries; every wrong ``rng`` kind; both
or neither of rng/noise; noise of the wrong shape or outside its support; axis out of
range; k > K; bad ``sample_shape`` and ``num_samples``; an empty category axis; a
mismatched second array. Asserted: a ``ValueError``/``TypeError`` whose message names
the argument (for NaN logits, a NaN in the output is accepted too: it is not silent).

Profiles: ``RELAXARRAY_SWEEP_PROFILE=long`` runs many more hypothesis examples (by hand);
``RELAXARRAY_SWEEP_TABLE=path.json`` writes the outcome counts per backend (the table in
docs/testing.md).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import os
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from conftest import Backend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relaxarray as rx
from relaxarray.backends._catalog import is_installed
from relaxarray.backends._catalog import targets as backend_targets
from relaxarray.testing import backend_enabled

settings.register_profile(
    "sweep-ci",
    max_examples=4,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "sweep-long",
    max_examples=200,
    derandomize=False,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
PROFILE = "sweep-long" if os.environ.get("RELAXARRAY_SWEEP_PROFILE") == "long" else "sweep-ci"
# The default run sweeps NumPy, array-api-strict (both devices) and torch (CPU and meta):
# under a minute of one core together. jax (eager and jit: every case compiles) takes more
# than ten (docs/testing.md has the measured times): RELAXARRAY_SWEEP_BACKENDS=all, or the
# long profile, adds it.
SWEEP_ALL = PROFILE == "sweep-long" or os.environ.get("RELAXARRAY_SWEEP_BACKENDS") == "all"
DEFAULT_BACKENDS = ("numpy", "array_api_strict", "torch")


# -- discovery ---------------------------------------------------------------------------------
MODULES = {
    "rx": rx,
    "estimators": rx.estimators,
    "distributions": rx.distributions,
    "random": rx.random,
}


def discover() -> dict[str, Any]:
    """``{"module.name": callable}`` for every public callable (modules skipped)."""
    out = {}
    for mname, mod in MODULES.items():
        for n in mod.__all__:
            obj = getattr(mod, n)
            if inspect.ismodule(obj) or not callable(obj):
                continue
            out[f"{mname}.{n}"] = obj
    return out


CALLABLES = discover()

#: callables that are not swept, with the reason (a recipe of their own: "nothing to sweep")
NOT_SWEPT = {
    "distributions.Distribution": "abstract base class",
    "distributions.register_kl": "a registration decorator, no array input",
    "estimators.EstimatorResult": "a plain (value, grad) container",
    "estimators.EMABaseline": "a plain state container (ema_baseline/update_ema are swept)",
    "estimators.Perturbed": "constructed by estimators.perturbed, which is swept",
    "estimators.Comparison": "a plain result container (estimators.compare is swept)",
    "estimators.EstimatorStats": "a plain result container (estimators.compare is swept)",
}

# -- recipes keyed by parameter name -----------------------------------------------------------
#: positional array parameters -> role of the array
ARRAY_ROLE = {
    "logits": "logits",
    "x": "logits",
    "log_alpha": "logits",
    "mu": "logits",
    "loc": "logits",
    "log_probs": "logits",
    "log_rate": "logits",
    "mean": "logits",
    "init": "logits",
    "a": "logits",
    "theta": "logits",
    "y": "other",
    "soft": "other",
    "value": "other",
    "hard": "onehot",
    "u": "uniform",
    "scale": "positive",
    "rate": "positive",
    "variance": "positive",
    "alpha": "positive",
    "concentration": "positive",
    "b": "positive",
    "correlation": "correlation",
    "values": "values",
}
#: per-callable overrides of an array role
ROLE_OVERRIDE = {
    ("distributions.Kumaraswamy", "a"): "positive",
    ("distributions.HardKumaraswamy", "a"): "positive",
}
#: positive scalar options swept over 1e-3..1e3
TEMPERATURE_LIKE = {
    "temperature",
    "forward_temperature",
    "backward_temperature",
    "sigma",
    "beta",
    "delta",
}
#: real scalar options (any finite value; NaN, inf and strings are bad): REBAR's eta is a
#: control-variate scale that REBAR itself optimises, 0 and negative values included
REAL_SCALAR = {"eta"}
#: options left at their default (a value is fine whatever the input)
DEFAULTED = {
    "axis",
    "hard",
    "keepdims",
    "stretch",
    "one_hot",
    "pseudo",
    "gap",
    "baseline",
    "distribution",
    "lam",
    "num_terms",
    "noise",
    "probs",
    "decay",
    "validate_args",
    "parameter_gradient",
    "estimators",
    # deprecated spellings of forward_temperature/backward_temperature (estimators.decoupled_st)
    "temperature_forward",
    "temperature_backward",
}
#: other options: a fixed valid value
FIXED: dict[str, Callable[[Any], Any]] = {
    "sample_shape": lambda c: (2,),
    "num_samples": lambda c: 2,
    "num_rao_samples": lambda c: 3,
    "num_estimates": lambda c: 4,
    "size": lambda c: 6,
    "total_count": lambda c: 4,
    "k": lambda c: min(2, c.K),
    "num": lambda c: 2,
    "seed": lambda c: 3,
    "k0": lambda c: 1,
    "k1": lambda c: 2,
    "data": lambda c: 7,
    "shape": lambda c: (*c.batch, c.K),
    "f": lambda c: c.objective,
    "control": lambda c: c.control,
    "solver": lambda c: None,
    "icdf": lambda c: rx.logistic_icdf,
    "dist": lambda c: rx.distributions.Bernoulli(logits=c.arr("logits")),
    "rng": lambda c: c.rng,
    "like": lambda c: c.arr("logits"),
    "key": lambda c: rx.random.portable(5),
    "state": lambda c: rx.estimators.ema_baseline(c.arr("logits")),
    "p": lambda c: rx.distributions.Categorical(logits=c.arr("logits")),
    "q": lambda c: rx.distributions.Categorical(logits=c.arr("other")),
    "dtype": lambda c: None,
    "device": lambda c: None,
    "xp": lambda c: None,
}
#: per-callable fixed values (a parameter whose name means something else there)
CALL_FIXED: dict[tuple[str, str], Any] = {
    # the global default is on; setting it to True again changes nothing for other tests
    ("distributions.set_default_validate_args", "value"): True,
}
#: callables whose logits have a documented narrower range: the largest |logit| as a
#: function of the dtype's max (the Laplace bridge's alpha grows like e^(max mu - min mu))
SCALE_LIMIT: dict[str, Callable[[float], float]] = {
    "rx.laplace_bridge": lambda fmax: 0.45 * math.log(fmax),
    # log_prob holds -((w - loc) / scale)^2 / 2 with scale >= e^-3 here: representable
    # while |loc| / scale < sqrt(max); in float16 (max 65504) that is |loc| < ~6 (the
    # log density of a sample with entries below float16's tiny is below -65504: -inf)
    "distributions.LogisticNormal": lambda fmax: 0.5 * math.exp(-3.0) * math.sqrt(fmax),
    "distributions.InvertibleGaussian": lambda fmax: 0.5 * math.exp(-3.0) * math.sqrt(fmax),
}
#: callables whose temperature has a documented narrower range
TEMPERATURE_RANGE = {"estimators.reinmax": (1.0, math.inf)}
#: the kind of base noise a callable's ``noise=`` holds (default: uniform in (0, 1))
NOISE_KIND = {
    "rx.gumbel_top_k": "gumbel",
    "rx.decoupled_st_gumbel_softmax": "gumbel",
    "rx.generalized_gumbel_softmax": "gumbel",
    "rx.normal_rsample": "normal",
    "rx.gaussian_gate": "normal",
}
#: callables that need values (they return Python numbers): not swept where arrays have
#: none (torch's meta device, inside jax.jit); that they refuse there is checked instead
NEEDS_VALUES = {"estimators.compare"}
#: callables whose noise= is not one array (not swept for noise values)
NOISE_NOT_ARRAY = {"estimators.gumbel_rao"}
#: extra parameters of callables whose signature takes ``*params`` (named ``params[i]``)
VARARGS: dict[str, tuple[str, ...]] = {"rx.inverse_cdf_sample": ("params[0]", "params[1]")}
# the distribution classes take ``*args`` only to refuse positional parameters (keywords
# only, with a message): nothing is passed there; the bad input "positional" checks it
VARARGS.update(
    {
        n: ()
        for n, obj in CALLABLES.items()
        if n.startswith("distributions.")
        and inspect.isclass(obj)
        and any(p.kind is p.VAR_POSITIONAL for p in inspect.signature(obj).parameters.values())
    }
)
VARARG_ROLE = {"params[0]": "logits", "params[1]": "positive"}


def params_of(name: str) -> list[inspect.Parameter]:
    obj = CALLABLES[name]
    sig = inspect.signature(obj)
    return [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]


def unknown_params(name: str) -> list[str]:
    out = []
    for p in params_of(name):
        if p.kind is p.VAR_POSITIONAL:
            if name not in VARARGS:
                out.append("*" + p.name)
            continue
        known = (
            p.name in ARRAY_ROLE
            or p.name in TEMPERATURE_LIKE
            or p.name in DEFAULTED
            or p.name in FIXED
            or p.name in REAL_SCALAR
            or (name, p.name) in CALL_FIXED
        )
        if not known:
            out.append(p.name)
    return out


def is_array_param(name: str, p: inspect.Parameter) -> bool:
    if (name, p.name) in CALL_FIXED:
        return False
    if p.kind is p.POSITIONAL_ONLY and p.name in ARRAY_ROLE:
        return True
    if p.name in FIXED or p.name in TEMPERATURE_LIKE or p.name in DEFAULTED:
        return False
    return p.name in ARRAY_ROLE and p.name not in REAL_SCALAR


def role(name: str, pname: str) -> str:
    if pname in VARARG_ROLE:
        return VARARG_ROLE[pname]
    return ROLE_OVERRIDE.get((name, pname), ARRAY_ROLE[pname])


def deprecated_alias(name: str, pname: str) -> bool:
    """``num_samples`` beside ``sample_shape`` is the deprecated spelling (left unset)."""
    return pname == "num_samples" and any(p.name == "sample_shape" for p in params_of(name))


SWEPT = sorted(n for n in CALLABLES if n not in NOT_SWEPT)


def test_every_callable_has_a_recipe() -> None:
    """A new public callable needs its parameters in the recipe tables (or NOT_SWEPT)."""
    missing = {n: unknown_params(n) for n in SWEPT if unknown_params(n)}
    assert not missing, f"add recipes in tests/test_sweep.py for: {missing}"
    stale = set(NOT_SWEPT) - set(CALLABLES)
    assert not stale, f"NOT_SWEPT names non-public callables: {stale}"


# -- backends ----------------------------------------------------------------------------------
SWEEP_VARIANTS = [
    ("numpy", None, False),
    ("array_api_strict", None, False),
    ("array_api_strict", "device1", False),
    ("torch", None, False),
    ("torch", "meta", False),
    ("jax", None, False),
    ("jax", None, True),
]


def _variant_params() -> list[Any]:
    out = []
    for base, dev, jit in SWEEP_VARIANTS:
        if not backend_enabled(base) or (not SWEEP_ALL and base not in DEFAULT_BACKENDS):
            continue
        vid = base + (f"-{dev}" if dev else "") + ("-jit" if jit else "")
        marks = [] if is_installed(base) else [pytest.mark.skip(reason=f"{base} not installed")]
        out.append(pytest.param((base, dev, jit), id=vid, marks=marks))
    return out


VARIANT_PARAMS = _variant_params()


class MetaTorch(Backend):
    """torch's ``meta`` device: shapes and dtypes without values. Not a target of
    :func:`relaxarray.testing.targets` (no test reads values there); the sweep builds it
    from the CPU target and moves every input to ``meta``."""

    def __post_init__(self) -> None:
        import torch

        self.target = backend_targets("torch")[0]
        self.xp = self.target.xp
        self.device = torch.device("meta")

    def asarray(self, a: Any, dtype: str | None = "float64") -> Any:
        return super().asarray(a, dtype).to("meta")


def make_backend(v: tuple[str, str | None, bool]) -> Backend:
    if v[0] == "torch" and v[1] == "meta":
        return MetaTorch("torch", device_name="meta")
    return Backend(v[0], device_name=v[1], jit=v[2])


def vid(be: Backend) -> str:
    return be.id


def float_dtypes(be: Backend) -> list[str]:
    if be.base == "numpy":
        return ["float16", "float32", "float64"]
    if be.base in ("torch", "jax"):
        return ["float16", "bfloat16", "float32", "float64"]
    return ["float32", "float64"]


def is_meta(be: Backend) -> bool:
    return be.base == "torch" and be.device_name == "meta"


# -- building a call ---------------------------------------------------------------------------
@dataclasses.dataclass
class Config:
    """One draw of extreme valid input."""

    dtype: str
    batch: tuple[int, ...]
    K: int
    scale: float
    temperature: float
    seed: int


class Call:
    """Arguments of one call of one callable on one backend."""

    def __init__(self, name: str, be: Backend, cfg: Config) -> None:
        self.name, self.be, self.cfg = name, be, cfg
        self.batch, self.K = cfg.batch, cfg.K
        self.gen = np.random.default_rng(cfg.seed)
        self._np: dict[str, np.ndarray] = {}
        xp = be.xp
        self.objective = lambda b: (b - 0.45) ** 2
        self.control = lambda z: 0.2 * (xp.exp(-xp.abs(z)) - 0.45) ** 2
        self.rng = self.make_rng()
        self.fmax = float(
            np.finfo(np.float32 if cfg.dtype == "bfloat16" else np.dtype(cfg.dtype)).max
        )
        limit = SCALE_LIMIT.get(name)
        self.scale = min(cfg.scale, limit(self.fmax)) if limit else cfg.scale

    def make_rng(self) -> Any:
        if is_meta(self.be):
            return rx.random.portable(self.cfg.seed)
        return self.be.rng(self.cfg.seed)

    def np_array(self, r: str) -> np.ndarray:
        if r in self._np:
            return self._np[r]
        shape = (*self.batch, self.K)
        g, s = self.gen, self.scale
        if r == "logits":
            a = g.uniform(-1.0, 1.0, size=shape) * s
            if a.size:  # the extremes themselves
                a.flat[0] = s
                a.flat[-1] = -s
        elif r == "other":
            a = g.normal(size=shape) * min(s, 50.0)
        elif r == "onehot":
            a = np.eye(self.K)[g.integers(0, self.K, size=self.batch)]
        elif r == "uniform":
            tiny = float(
                np.finfo(
                    np.dtype(self.cfg.dtype) if self.cfg.dtype != "bfloat16" else np.float32
                ).smallest_normal
            )
            a = g.uniform(0.0, 1.0, size=shape)
            if a.size:
                a.flat[0] = 1e-3 if self.cfg.dtype in ("float16", "bfloat16") else tiny * 4
                a.flat[-1] = 0.99 if self.cfg.dtype in ("float16", "bfloat16") else 1 - 1e-6
            a = np.clip(a, 1e-3 if self.cfg.dtype in ("float16", "bfloat16") else tiny, 0.999)
        elif r == "positive":
            a = np.exp(g.uniform(-3.0, 3.0, size=shape))
        elif r == "values":
            a = np.arange(float(self.K))
        elif r == "correlation":
            a = np.broadcast_to(np.eye(self.K) * 0.5 + 0.5, (*self.batch, self.K, self.K)).copy()
        else:  # pragma: no cover
            raise AssertionError(r)
        self._np[r] = a
        return a

    def arr(self, r: str, dtype: str | None = None) -> Any:
        return self.be.asarray(self.np_array(r), dtype or self.cfg.dtype)

    def option(self, pname: str) -> Any:
        if pname in TEMPERATURE_LIKE:
            lo, hi = TEMPERATURE_RANGE.get(self.name, (0.0, math.inf))
            # valid means representable: |logits| / T stays below the dtype's max / 4
            # (1e4 / 1e-3 is not a float16 number)
            lo = max(lo, 4.0 * self.scale / self.fmax)
            return min(max(self.cfg.temperature, lo), hi)
        if (self.name, pname) in CALL_FIXED:
            return CALL_FIXED[self.name, pname]
        if pname in REAL_SCALAR:
            return 0.7
        return FIXED[pname](self)

    def build(self) -> tuple[list[Any], dict[str, Any]]:
        """``(positional, keyword)`` arguments for a valid call."""
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for p in params_of(self.name):
            if p.kind is p.VAR_POSITIONAL:
                args.extend(self.arr(VARARG_ROLE[q]) for q in VARARGS[self.name])
                continue
            defaulted = p.name in DEFAULTED and p.default is not p.empty
            if deprecated_alias(self.name, p.name):
                continue
            if defaulted and not is_array_param(self.name, p):
                continue
            if is_array_param(self.name, p):
                val = self.arr(role(self.name, p.name))
            else:
                val = self.option(p.name)
                if val is None and p.default is not p.empty:
                    continue
            if p.kind is p.POSITIONAL_ONLY:
                args.append(val)
            else:
                kwargs[p.name] = val
        if self.name in ("estimators.perturbed", "estimators.imle"):
            args.append(self.arr("logits"))  # theta, the argument of the returned callable
        if self.name.startswith("distributions.") and "logits" in kwargs:
            kwargs.pop("probs", None)
        return args, kwargs


def array_positions(name: str) -> list[tuple[int | str, str]]:
    """Where the array arguments go: ``(position or keyword, parameter name)``."""
    out: list[tuple[int | str, str]] = []
    i = 0
    for p in params_of(name):
        if p.kind is p.VAR_POSITIONAL:
            for q in VARARGS.get(name, ()):
                out.append((i, q))
                i += 1
            continue
        if p.kind is p.POSITIONAL_ONLY:
            if is_array_param(name, p):
                out.append((i, p.name))
            i += 1
        elif is_array_param(name, p):
            out.append((p.name, p.name))
    return out


# -- running a call ----------------------------------------------------------------------------
def flatten(out: Any) -> list[Any]:
    """The numeric arrays inside an output (tuples, dataclasses, distributions...)."""
    if out is None or isinstance(out, (bool, int, float, str)):
        return []
    if isinstance(out, (tuple, list)):
        return [a for o in out for a in flatten(o)]
    if dataclasses.is_dataclass(out) and not isinstance(out, type):
        return [a for f in dataclasses.fields(out) for a in flatten(getattr(out, f.name))]
    if hasattr(out, "shape") and hasattr(out, "dtype"):
        return [out]
    return []


def invoke(name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call the public callable; objects it returns (distributions, estimator closures) are
    exercised too, so their arrays are checked."""
    fn = CALLABLES[name]
    out = fn(*args, **kwargs)
    if name.startswith("distributions.") and inspect.isclass(fn):
        d = out
        base = rx.distributions.Distribution
        # log_prob of the distribution's own sample (sample, not rsample: GumbelTopK's
        # rsample is a relaxed k-hot, its support holds index sets), where it has one
        s = d.sample((2,), rng=rx.random.portable(1))
        lp = d.log_prob(s) if type(d).log_prob is not base.log_prob else None
        if type(d).rsample is not base.rsample:
            return (d.rsample((2,), rng=rx.random.portable(2)), lp)
        return (s, lp)
    if name == "estimators.ema_baseline":
        return rx.estimators.update_ema(out, args[0] * 2)
    return out


def call(name: str, be: Backend, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Run the call (under ``jax.jit`` for the jit variant; arrays become its arguments).

    Floating-point warnings are silenced: the values are what is judged.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _call(name, be, args, kwargs)


def _call(name: str, be: Backend, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if name == "estimators.perturbed":
        theta = args.pop() if args else None
        pert = CALLABLES[name](**kwargs)
        fn: Callable[..., Any] = lambda th: (pert(th), pert.max(th))  # noqa: E731
        return _jit_or_not(be, fn, [theta])
    if name == "estimators.imle":
        theta = args.pop() if args else None
        g = CALLABLES[name](**kwargs)
        return _jit_or_not(be, g, [theta])
    pos = [i for i, a in enumerate(args) if _is_backend_array(be, a)]
    if not be.jit or not pos:
        return invoke(name, args, kwargs)

    def f(*arrs: Any) -> Any:
        a = list(args)
        for i, v in zip(pos, arrs, strict=True):
            a[i] = v
        return tuple(flatten(invoke(name, a, kwargs)))

    import jax

    return jax.jit(f)(*[args[i] for i in pos])


def _jit_or_not(be: Backend, fn: Callable[..., Any], arrs: list[Any]) -> Any:
    if be.jit:
        import jax

        return jax.jit(lambda *a: tuple(flatten(fn(*a))))(*arrs)
    return fn(*arrs)


def _is_backend_array(be: Backend, a: Any) -> bool:
    return hasattr(a, "shape") and hasattr(a, "dtype") and not isinstance(a, np.generic)


def _is_float(be: Backend, a: Any) -> bool:
    try:
        return bool(be.xp.isdtype(a.dtype, "real floating"))
    except Exception:
        return False


def grad_target(name: str, args: list[Any], kwargs: dict[str, Any]) -> tuple[int | str, str] | None:
    for where, pname in array_positions(name):
        if pname in ("hard", "values", "correlation"):
            continue
        return where, pname
    if name in ("estimators.perturbed", "estimators.imle"):
        return None
    return None


# -- outcome bookkeeping -----------------------------------------------------------------------
OUTCOMES: dict[str, Counter[str]] = defaultdict(Counter)
PROBLEMS: dict[str, list[str]] = {}

COLUMNS = [
    "cases",
    "nan_value",
    "nan_grad",
    "dtype_change",
    "device_change",
    "unclear_error",
    "bad_accepted",
    "valid_raised",
]


def record(be: Backend, kind: str) -> None:
    OUTCOMES[be.id][kind] += 1


@pytest.fixture(autouse=True)
def _write_table() -> Any:
    """Rewrite the table after every test, so an interrupted run still leaves its counts."""
    yield
    path = os.environ.get("RELAXARRAY_SWEEP_TABLE")
    if path:
        with open(path, "w") as fh:
            json.dump(
                {"counts": {k: dict(v) for k, v in OUTCOMES.items()}, "problems": PROBLEMS},
                fh,
                indent=1,
                sort_keys=True,
            )


# -- known, documented limits (xfail, strict=False) -------------------------------------------
#: (callable, problem kind) -> reason; empty: every problem found is fixed or the recipe
#: says why the input is not valid. A new entry needs a reason a reader can check.
KNOWN_CASES: dict[tuple[str, str], str] = {}


def _known(name: str, problem: str) -> str | None:
    return KNOWN_CASES.get((name, problem.split(":", 1)[0]))


def finish(be: Backend, name: str, problems: list[str], test: str) -> None:
    """Fail on any problem not known; xfail (strict=False) when all are known limits."""
    if not problems:
        return
    PROBLEMS[f"{test} {name} [{be.id}]"] = problems
    unknown = [p for p in problems if _known(name, p) is None]
    msg = f"{name} on {be.id}:\n  " + "\n  ".join(unknown or problems)
    if unknown:
        pytest.fail(msg)
    reasons = sorted({r for p in problems if (r := _known(name, p))})
    pytest.xfail("; ".join(reasons) + "\n" + msg)


# -- valid input -------------------------------------------------------------------------------
def configs(be: Backend) -> st.SearchStrategy[Config]:
    return st.builds(
        Config,
        dtype=st.sampled_from(float_dtypes(be)),
        batch=st.sampled_from([(3,), (), (1,), (0,), (2, 1)]),
        K=st.sampled_from([5, 1, 2, 300]),
        scale=st.sampled_from([1e4, 1.0, 50.0]) | st.floats(1.0, 1e4),
        temperature=st.sampled_from([1e-3, 1e3, 1.0, 0.1])
        | st.floats(-3.0, 3.0).map(lambda e: 10.0**e),
        seed=st.integers(0, 2**16),
    )


def check_valid(name: str, be: Backend, cfg: Config) -> list[str]:
    """Run one valid call; return the problems (and record them)."""
    record(be, "cases")
    c = Call(name, be, cfg)
    args, kwargs = c.build()
    problems = []
    try:
        out = call(name, be, list(args), dict(kwargs))
    except Exception as exc:
        record(be, "valid_raised")
        return [f"valid input raised {type(exc).__name__}: {str(exc)[:200]} [{cfg}]"]
    arrays = flatten(out)
    want = be.dtype(cfg.dtype)
    for a in arrays:
        if not _is_float(be, a):
            continue
        if a.dtype != want:
            record(be, "dtype_change")
            problems.append(f"dtype {a.dtype} from {cfg.dtype} input [{cfg}]")
        if _device(a) != _device(c.arr("logits")):
            record(be, "device_change")
            problems.append(f"device {_device(a)} [{cfg}]")
        if not is_meta(be) and not np.all(np.isfinite(be.to_numpy(a))):
            record(be, "nan_value")
            problems.append(f"non-finite value [{cfg}]")
    if be.differentiable and not is_meta(be) and problems == []:
        problems += check_grad(name, be, c, args, kwargs)
    return problems


def _device(a: Any) -> Any:
    import array_api_compat

    return str(array_api_compat.device(a))


def check_grad(
    name: str, be: Backend, c: Call, args: list[Any], kwargs: dict[str, Any]
) -> list[str]:
    if name in NEEDS_VALUES:  # returns Python numbers: nothing to differentiate
        return []
    target = grad_target(name, args, kwargs)
    if name in ("estimators.perturbed", "estimators.imle"):
        target = (0, "theta")
    if target is None:
        return []
    where, pname = target
    if not _is_float(be, c.arr(role(name, pname) if pname in ARRAY_ROLE else "logits")):
        return []

    def fn(v: Any) -> Any:
        a, k = list(args), dict(kwargs)
        if isinstance(where, int):
            a[where] = v
        else:
            k[where] = v
        if name in ("estimators.perturbed", "estimators.imle"):
            a = [v]
        outs = [o for o in flatten(invoke_grad(name, a, k)) if _is_float(be, o)]
        tot = None
        for o in outs:
            s = be.xp.sum(o)
            tot = s if tot is None else tot + s
        return tot if tot is not None else be.xp.sum(v * 0)

    x = args[where] if isinstance(where, int) else kwargs[where]
    if name in ("estimators.perturbed", "estimators.imle"):
        x = args[-1]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            g = be.grad(fn, x)
    except Exception as exc:
        record(be, "valid_raised")
        return [f"gradient raised {type(exc).__name__}: {str(exc)[:200]} [{c.cfg}]"]
    if not np.all(np.isfinite(be.to_numpy(g))):
        record(be, "nan_grad")
        return [f"non-finite gradient wrt {pname} [{c.cfg}]"]
    return []


def invoke_grad(name: str, a: list[Any], k: dict[str, Any]) -> Any:
    """Inside jax.grad (jitted by Backend.grad) call without a nested jit."""
    if name == "estimators.perturbed":
        pert = CALLABLES[name](**k)
        return (pert(a[0]), pert.max(a[0]))
    if name == "estimators.imle":
        return CALLABLES[name](**k)(a[0])
    return invoke(name, a, k)


def _needs_arrays(name: str) -> bool:
    return bool(array_positions(name)) or name in ("estimators.perturbed", "estimators.imle")


def _valid_ids() -> list[Any]:
    return [pytest.param(n, id=n) for n in SWEPT]


@pytest.mark.parametrize("variant", VARIANT_PARAMS)
@pytest.mark.parametrize("name", _valid_ids())
def test_valid_extremes(name: str, variant: Any) -> None:
    be = make_backend(variant)
    if name in NEEDS_VALUES and (be.jit or is_meta(be)):
        c = Call(name, be, BASE_CFG)
        args, kwargs = c.build()
        record(be, "cases")
        with pytest.raises((ValueError, TypeError), match="logits"):
            call(name, be, args, kwargs)
        return
    problems: list[str] = []

    @settings(settings.get_profile(PROFILE))
    @given(cfg=configs(be))
    def run(cfg: Config) -> None:
        problems.extend(check_valid(name, be, cfg))

    run()
    finish(be, name, sorted(set(problems))[:12], "valid")


# -- bad input ---------------------------------------------------------------------------------
BASE_CFG = Config("float64", (3,), 5, 1.0, 0.7, 0)


class Bad:
    """One kind of bad input: how to break a valid call, what the error must name."""

    def __init__(
        self, kind: str, names: tuple[str, ...], mutate: Callable[..., Any], nan_ok: bool = False
    ) -> None:
        self.kind, self.names, self.mutate, self.nan_ok = kind, names, mutate, nan_ok


def _set(where: int | str, value: Any, categorical: bool = False) -> Callable[..., Any]:
    def m(c: Call, args: list[Any], kwargs: dict[str, Any]) -> None:
        if categorical and "distribution" in {p.name for p in params_of(c.name)}:
            kwargs["distribution"] = "categorical"  # the axis matters only there
        if isinstance(where, int):
            args[where] = value(c) if callable(value) else value
        else:
            kwargs[where] = value(c) if callable(value) else value

    return m


def other_array_library(be: Backend) -> str | None:
    """A second array library for the mixed-libraries case, among the selected backends
    (RELAXARRAY_TEST_BACKENDS=numpy must not import torch); None: the case is skipped."""
    if be.base != "numpy":
        return "numpy"
    return next((b for b in ("torch", "jax", "array_api_strict") if backend_enabled(b)), None)


def other_library_array(be: Backend, a: np.ndarray) -> Any:
    lib = other_array_library(be)
    if lib == "numpy":
        return np.asarray(a)
    return Backend(str(lib)).asarray(a)


def other_rng_library(be: Backend) -> str | None:
    # the generic adapter (array-api-strict) draws from numpy generators natively
    if be.base not in ("numpy", "array_api_strict"):
        return "numpy"
    return next((b for b in ("torch", "jax") if backend_enabled(b)), None)


def other_library_rng(be: Backend) -> Any:
    lib = other_rng_library(be)
    if lib == "numpy":
        return np.random.default_rng(0)
    return Backend(str(lib)).rng(0)


def bad_cases(name: str, be: Backend) -> list[Bad]:
    """The bad inputs that apply to ``name`` (from its parameter names)."""
    out: list[Bad] = []
    ps = {p.name: p for p in params_of(name)}
    arrays = array_positions(name)
    is_dist = name.startswith("distributions.")
    for t in sorted(TEMPERATURE_LIKE & set(ps)):
        for v in (0.0, -1.0, math.nan, math.inf):
            out.append(Bad(f"{t}={v}", (t,), _set(t, v)))
        out.append(Bad(f"{t}='1'", (t,), _set(t, "1")))
    for t in sorted(REAL_SCALAR & set(ps)):
        for v in (math.nan, math.inf, "1"):
            out.append(Bad(f"{t}={v!r}", (t,), _set(t, v)))
    for (n, t), _ in CALL_FIXED.items():
        if n == name:
            for v in (1, "yes", None, 1.0):
                out.append(Bad(f"{t}={v!r}", (t,), _set(t, v)))
    if "probs" in ps and is_dist:

        def probs(v: float) -> Callable[..., Any]:
            def m(c: Call, args: list[Any], kwargs: dict[str, Any]) -> None:
                kwargs.pop("logits", None)
                kwargs["probs"] = c.be.asarray(np.full((*c.batch, c.K), v))

            return m

        out.append(Bad("probs=1.5", ("probs",), probs(1.5)))
        out.append(Bad("probs=-0.1", ("probs",), probs(-0.1)))
    if arrays:
        where, pname = arrays[0]
        r = role(name, pname)

        def with_nan(c: Call) -> Any:
            a = c.np_array(r).copy()
            a.flat[1] = np.nan
            return c.be.asarray(a)

        if r in ("logits", "other", "positive", "uniform"):
            out.append(Bad(f"nan in {pname}", (pname,), _set(where, with_nan), nan_ok=True))
        out.append(Bad(f"int {pname}", (pname,), _set(where, lambda c: c.arr(r, "int64"))))
        out.append(
            Bad(
                f"bool {pname}",
                (pname,),
                _set(where, lambda c: c.be.asarray(c.np_array(r) > 0, None)),
            )
        )
        # a list: the message names the argument or says "Python list" (detected before the
        # argument's name is known)
        out.append(
            Bad(
                f"list {pname}",
                (pname, "Python list"),
                _set(where, lambda c: c.np_array(r).tolist()),
            )
        )
        mix_target = arrays[1] if len(arrays) > 1 else None
        if mix_target is not None and other_array_library(be) is not None:
            w2, p2 = mix_target
            r2 = role(name, p2)
            out.append(
                Bad(
                    f"mixed {p2}",
                    (p2, "different libraries"),
                    _set(w2, lambda c: other_library_array(c.be, c.np_array(r2))),
                )
            )
        if "axis" in ps and r == "logits" and not is_dist:
            out.append(
                Bad(
                    "K=0",
                    (pname, "axis", "categor", "empty"),
                    _set(where, lambda c: c.be.asarray(np.zeros((*c.batch, 0))), categorical=True),
                )
            )
        if len(arrays) > 1 and arrays[1][1] in ("y", "soft", "scale", "variance", "rate"):
            w2, p2 = arrays[1]
            r2 = role(name, p2)
            out.append(
                Bad(
                    f"{p2} wrong shape",
                    (p2, "broadcast"),
                    _set(w2, lambda c: c.be.asarray(np.ones((c.K + 1,)))),
                )
            )
    if VARARGS.get(name) == ():  # the keywords-only guard of a distribution class

        def positional(c: Call, args: list[Any], kwargs: dict[str, Any]) -> None:
            first = next(k for k in ("probs", "logits", "temperature") if k in kwargs)
            args.insert(0, kwargs.pop(first))

        out.append(Bad("positional parameter", ("keywords only",), positional))
    if "rng" in ps:
        kinds: list[tuple[str, Any]] = [
            ("True", True),
            ("'0'", "0"),
            ("1.5", 1.5),
            ("object()", object()),
            ("other library", None),
        ]
        if other_rng_library(be) is None:
            kinds.pop()
        for label, v in kinds:
            val = (lambda c: other_library_rng(c.be)) if label == "other library" else v
            out.append(Bad(f"rng={label}", ("rng",), _set("rng", val)))
        if "noise" in ps and name not in ("estimators.perturbed", "estimators.imle"):
            out.append(
                Bad("rng and noise", ("rng", "noise"), _set("noise", lambda c: noise_like(c, 0.5)))
            )
            if be.base == "jax":  # elsewhere rng=None draws from the global generator
                out.append(Bad("neither rng nor noise", ("rng", "noise"), _set("rng", None)))
            if name not in NOISE_NOT_ARRAY:

                def bad_noise(v: float) -> Callable[..., Any]:
                    def m(c: Call, args: list[Any], kwargs: dict[str, Any]) -> None:
                        kwargs["rng"] = None
                        kwargs.pop("sample_shape", None)
                        n = c.be.to_numpy(noise_like(c, 0.5)).copy()
                        n.flat[0] = v
                        kwargs["noise"] = c.be.asarray(n)

                    return m

                kind = NOISE_KIND.get(name, "uniform")
                vals = (
                    (1.5, -0.5, 0.0, 1.0, math.nan) if kind == "uniform" else (math.nan, math.inf)
                )
                for v in vals:
                    out.append(Bad(f"noise={v}", ("noise",), bad_noise(v)))

                def wrong_shape(c: Call, args: list[Any], kwargs: dict[str, Any]) -> None:
                    kwargs["rng"] = None
                    kwargs.pop("sample_shape", None)
                    kwargs["noise"] = c.be.asarray(np.full((7, 1, 2), 0.5))

                out.append(Bad("noise wrong shape", ("noise",), wrong_shape))
    if "axis" in ps:
        out.append(Bad("axis=5", ("axis",), _set("axis", 5, categorical=True)))
        out.append(Bad("axis=1.5", ("axis",), _set("axis", 1.5, categorical=True)))
    if "k" in ps and name != "rx.gumbel_top_k":
        out.append(Bad("k > K", ("k",), _set("k", lambda c: c.K + 1)))
    if name == "rx.gumbel_top_k":
        out.append(Bad("k > K", ("k",), _set(1, lambda c: c.K + 1)))
        out.append(Bad("k = 0", ("k",), _set(1, 0)))
    if "sample_shape" in ps:
        for v in ("3", (2.7,), (-1,), True, 2.0):
            out.append(Bad(f"sample_shape={v!r}", ("sample_shape",), _set("sample_shape", v)))
    if "num_samples" in ps and not deprecated_alias(name, "num_samples"):
        for v in (0, 2.5, True):
            out.append(Bad(f"num_samples={v!r}", ("num_samples",), _set("num_samples", v)))
    return out


def noise_like(c: Call, value: float) -> Any:
    """Valid-looking noise of the callable's noise shape (found by trying the candidates)."""
    name = c.name
    args, kwargs = c.build()
    kwargs.pop("sample_shape", None)
    kwargs["rng"] = None
    shape = (*c.batch, c.K)
    for cand in (shape, (2, *shape), (2, 2, *shape)):
        kwargs["noise"] = c.be.asarray(np.full(cand, value))
        try:
            call(name, c.be, list(args), dict(kwargs))
            return kwargs["noise"]
        except Exception:
            continue
    return c.be.asarray(np.full(shape, value))


#: bad-input kinds that are in fact valid for a callable (with the reason)
NOT_BAD = {
    ("rx.smooth_l1", "beta=0.0"): "beta = 0 is the plain L1 distance (as torch)",
    ("rx.stop_gradient", "int x"): "stop_gradient is defined for every dtype",
    ("rx.stop_gradient", "bool x"): "stop_gradient is defined for every dtype",
    ("rx.straight_through", "int hard"): "an integer one-hot is a valid hard value",
    ("rx.straight_through", "bool hard"): "a boolean one-hot is a valid hard value",
    ("random.split", "rng=other library"): "split takes any library's generator",
    ("estimators.sum_of_gamma_noise", "k > K"): "k is the subset size, not bounded by shape",
}


def check_bad(name: str, be: Backend, bad: Bad) -> str | None:
    if (name, bad.kind) in NOT_BAD:
        return None
    record(be, "cases")
    c = Call(name, be, BASE_CFG)
    args, kwargs = c.build()
    try:
        bad.mutate(c, args, kwargs)
    except Exception as exc:
        return f"{bad.kind}: could not build the case ({exc!r})"
    try:
        out = call(name, be, args, kwargs)
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        if any(n in msg for n in bad.names):
            return None
        record(be, "unclear_error")
        return f"{bad.kind}: {type(exc).__name__} not naming {bad.names}: {msg[:160]}"
    except Exception as exc:
        record(be, "unclear_error")
        return f"{bad.kind}: {type(exc).__name__}: {str(exc)[:160]}"
    if bad.nan_ok:
        vals = [be.to_numpy(a) for a in flatten(out) if _is_float(be, a)]
        if any(np.isnan(v).any() for v in vals):
            return None
    record(be, "bad_accepted")
    return f"{bad.kind}: accepted (no error)"


BAD_VARIANTS = [p for p in VARIANT_PARAMS if not p.values[0][2] and p.values[0][1] != "meta"]


@pytest.mark.parametrize("variant", BAD_VARIANTS)
@pytest.mark.parametrize("name", _valid_ids())
def test_bad_input(name: str, variant: Any) -> None:
    be = make_backend(variant)
    problems = [p for b in bad_cases(name, be) if (p := check_bad(name, be, b))]
    finish(be, name, problems, "bad")
