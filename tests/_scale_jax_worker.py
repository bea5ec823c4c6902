"""Run by tests/test_scale_jax.py in a subprocess with 8 simulated CPU devices.

Compilation dominates the time, so every sampler, gate and estimator, with a JAX key
and a portable key, together with its gradient, goes into ONE program; that program is
compiled once on one device (the reference), once on an Auto mesh and once on an
Explicit mesh, and all properties are checked on the three results in one pass. Where
the compiled program breaks a property, the calls are compiled one by one to name the
culprit (the failure path only).

Each check raises AssertionError with a message; the last line printed is a JSON
summary (counts and the seconds each phase took).
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time

# 8 simulated devices; LLVM's optimisation level 0 (a third of the compile time; the
# partitioned HLO checked below is the same, and the one-device reference is compiled
# with the same flags, so "bitwise equal" compares like with like)
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "")
    + " --xla_force_host_platform_device_count=8"
    + " --xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
).strip()

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

import relaxarray as rx
from relaxarray import estimators as est
from relaxarray import random

# A persistent compilation cache: a rerun on the same machine skips XLA's compile
# (RELAXARRAY_JAX_CACHE="" turns it off).
_CACHE = os.environ.get(
    "RELAXARRAY_JAX_CACHE", os.path.join(tempfile.gettempdir(), "relaxarray-jax-cache")
)
if _CACHE:
    jax.config.update("jax_compilation_cache_dir", _CACHE)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)

B, K = 64, 6  # global batch and categories; 8 devices hold 8 rows each
W = jnp.asarray(np.linspace(-1.0, 1.0, K), dtype=jnp.float32)


def f_bern(b):  # per-sample objective of Bernoulli samples (last axis reduced)
    return jnp.sum((b - 0.3) ** 2, axis=-1)


def f_cat(h):
    return (h @ W) ** 2


def _solver(theta):
    return rx.one_hot_argmax(theta)


#: every public sampler (the functions of relaxarray.__all__ with an ``rng``) and every
#: estimator; a sample axis of 2 or 3 where the function takes one
CALLS = {
    "gumbel_max": lambda x, r: rx.gumbel_max(x, sample_shape=2, rng=r),
    "gumbel_softmax": lambda x, r: rx.gumbel_softmax(x, temperature=0.7, rng=r),
    "gumbel_softmax_hard_s3": lambda x, r: rx.gumbel_softmax(x, hard=True, sample_shape=3, rng=r),
    "gumbel_top_k_hard": lambda x, r: rx.gumbel_top_k(x, 2, hard=True, rng=r),
    "relaxed_bernoulli": lambda x, r: rx.relaxed_bernoulli(
        x, temperature=0.5, sample_shape=2, rng=r
    ),
    "straight_through_bernoulli": lambda x, r: rx.straight_through_bernoulli(x, rng=r),
    "hard_concrete": lambda x, r: rx.hard_concrete(x, rng=r),
    "gaussian_gate": lambda x, r: rx.gaussian_gate(x, sigma=0.5, rng=r),
    "stochastic_times_smooth": lambda x, r: rx.stochastic_times_smooth(x, rng=r),
    "decoupled_st_gumbel_softmax": lambda x, r: rx.decoupled_st_gumbel_softmax(
        x, forward_temperature=0.5, backward_temperature=2.0, rng=r
    ),
    "generalized_gumbel_softmax": lambda x, r: rx.generalized_gumbel_softmax(
        x, jnp.arange(K, dtype=x.dtype), temperature=0.7, rng=r
    ),
    "normal_rsample": lambda x, r: rx.normal_rsample(x, jnp.exp(x), sample_shape=2, rng=r),
    "inverse_cdf_sample": lambda x, r: rx.inverse_cdf_sample(
        rx.logistic_icdf, x, jnp.exp(x), sample_shape=2, rng=r
    ),
    "st_bernoulli": lambda x, r: est.st_bernoulli(x, rng=r),
    "st_categorical": lambda x, r: est.st_categorical(x, rng=r),
    "st_gumbel_softmax": lambda x, r: est.st_gumbel_softmax(x, rng=r),
    "gapped_st": lambda x, r: est.gapped_st(x, rng=r),
    "decoupled_st": lambda x, r: est.decoupled_st(x, backward_temperature=2.0, rng=r),
    "reinmax": lambda x, r: est.reinmax(x, temperature=1.5, rng=r),
    "gumbel_rao": lambda x, r: est.gumbel_rao(x, num_rao_samples=3, rng=r),
    "reinforce_bern": lambda x, r: est.reinforce(f_bern, x, num_samples=2, rng=r),
    "reinforce_cat": lambda x, r: est.reinforce(
        f_cat, x, distribution="categorical", num_samples=2, rng=r
    ),
    "vimco": lambda x, r: est.vimco(f_bern, x, num_samples=3, rng=r),
    "arm": lambda x, r: est.arm(f_bern, x, num_samples=2, rng=r),
    "disarm": lambda x, r: est.disarm(f_bern, x, num_samples=2, rng=r),
    "rebar": lambda x, r: est.rebar(f_bern, x, num_samples=2, rng=r),
    "relax": lambda x, r: est.relax(
        f_bern, x, control=lambda z: jnp.sum(jnp.sin(z), axis=-1), num_samples=2, rng=r
    ),
    "perturbed": lambda x, r: est.perturbed(_solver, num_samples=3, rng=r)(x),
    "imle": lambda x, r: est.imle(_solver, rng=r)(x),
}

#: outputs compared bit for bit with the one-device run: the noise and the samples built
#: from it elementwise. Estimator surrogates and gradients combine the noise with float
#: arithmetic that XLA fuses differently per partitioning; they are compared to a few ulp.
EXACT = {
    "gumbel_max",
    "gumbel_softmax",
    "gumbel_softmax_hard_s3",
    "gumbel_top_k_hard",
    "relaxed_bernoulli",
    "straight_through_bernoulli",
    "hard_concrete",
    "gaussian_gate",
    "stochastic_times_smooth",
    "decoupled_st_gumbel_softmax",
    "generalized_gumbel_softmax",
    "normal_rsample",
    "inverse_cdf_sample",
    "st_bernoulli",
    "st_categorical",
    "st_gumbel_softmax",
    "gapped_st",
    "decoupled_st",
    "reinmax",
    "perturbed",
    "imle",
}

#: integer outputs: no gradient to check
NO_GRAD = {"gumbel_max"}

FORBIDDEN = ("all-gather", "all-to-all", "collective-permute")
KINDS = ("jax", "portable")


def keys():
    return {"jax": jax.random.key(7), "portable": random.portable(7)}


def _loss(out):
    """A scalar whose gradient depends on every element of every output leaf."""
    return sum(jnp.sum(jnp.sin(3.0 * leaf + 1.0)) for leaf in jax.tree_util.tree_leaves(out))


def program(names):
    """One function computing (output, gradient) of every call in ``names``, per key kind."""

    def run(x, jkey, pkey):
        rngs = {"jax": jkey, "portable": pkey}
        out = {}
        for n in names:
            for kind in KINDS:
                fn = CALLS[n]
                r = rngs[kind]
                grad = None if n in NO_GRAD else jax.grad(lambda x, fn=fn, r=r: _loss(fn(x, r)))(x)
                out[n, kind] = (fn(x, r), grad)
        return out

    return run


def compile_(fn, *args):
    t = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    return compiled, time.perf_counter() - t


def hlo_problems(hlo):
    """Collectives and per-device buffers of the global batch in a compiled HLO text."""
    bad = [c for c in FORBIDDEN if c in hlo]
    for dims in re.findall(r"[fsu](?:8|16|32|64)\[([0-9,]+)\]", hlo):
        shape = [int(d) for d in dims.split(",") if d]
        if B in shape or int(np.prod(shape)) >= B * K:
            bad.append(f"buffer {shape}")
    return sorted(set(bad))


def check_program(tag, x, args):
    """Compile every call in one program on ``x``'s layout; check its HLO (naming the
    culprits if it fails) and return the outputs and the compile time."""
    compiled, seconds = compile_(program(tuple(CALLS)), x, *args)
    if hlo_problems(compiled.as_text()):
        culprits = {}
        for n in CALLS:
            found = hlo_problems(compile_(program((n,)), x, *args)[0].as_text())
            if found:
                culprits[n] = found[:4]
        raise AssertionError(f"{tag}: the compiled HLO breaks the layout: {culprits}")
    return compiled(x, *args), seconds


def check_layout(name, out):
    """Every axis of global size B is split 8 ways (the batch keeps its layout)."""
    for leaf in jax.tree_util.tree_leaves(out):
        shard = leaf.sharding.shard_shape(leaf.shape)
        for size, local in zip(leaf.shape, shard, strict=False):
            if size == B:
                assert local == B // 8, f"{name}: batch axis not sharded: {leaf.shape} -> {shard}"
        assert B in leaf.shape, f"{name}: no batch axis in the output {leaf.shape}"


def same(name, a, b, exact):
    for la, lb in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True):
        la, lb = np.asarray(la), np.asarray(lb)
        assert la.shape == lb.shape, f"{name}: shapes {la.shape} {lb.shape}"
        if exact:
            assert np.array_equal(la, lb), (
                f"{name}: values differ from the one-device run in "
                f"{int(np.sum(la != lb))} of {la.size} entries"
            )
        else:
            np.testing.assert_allclose(la, lb, rtol=2e-6, atol=2e-6, err_msg=name)


def check_all(tag, outs, refs):
    for (n, kind), (out, grad) in outs.items():
        name = f"{tag}/{n}/{kind}"
        check_layout(name, out)
        same(name, out, refs[n, kind][0], exact=n in EXACT)
        if grad is not None:
            check_layout(name + "/grad", grad)
            assert np.all(np.isfinite(np.asarray(grad))), f"{name}: gradient not finite"
            same(name + "/grad", grad, refs[n, kind][1], exact=False)


def independent_blocks(tag, blocks):
    """The 8 device blocks are pairwise different (each drew its own noise)."""
    for i in range(len(blocks)):
        for j in range(i + 1, len(blocks)):
            assert not np.array_equal(blocks[i], blocks[j]), (
                f"{tag}: blocks {i} and {j} drew the same noise"
            )


SECONDS: dict[str, float] = {}


def main() -> None:
    assert jax.device_count() == 8
    seconds = SECONDS
    x_host = np.random.default_rng(0).normal(size=(B, K)).astype(np.float32)
    x1 = jnp.asarray(x_host)  # one device
    k = keys()
    args = (k["jax"], k["portable"])
    t0 = time.perf_counter()
    ref_compiled, seconds["compile_one_device"] = compile_(program(tuple(CALLS)), x1, *args)
    refs = ref_compiled(x1, *args)
    # 1. Auto mesh under jit
    mesh = jax.make_mesh((8,), ("batch",), axis_types=(AxisType.Auto,))
    xs = jax.device_put(x1, NamedSharding(mesh, P("batch")))
    outs, seconds["compile_auto"] = check_program("auto", xs, args)
    check_all("auto", outs, refs)
    # 2. Explicit mesh (sharding in types)
    emesh = jax.make_mesh((8,), ("batch",), axis_types=(AxisType.Explicit,))
    with jax.set_mesh(emesh):
        xe = jax.device_put(x_host, NamedSharding(emesh, P("batch")))
        outs, seconds["compile_explicit"] = check_program("explicit", xe, args)
    check_all("explicit", outs, refs)
    seconds["jit_total"] = time.perf_counter() - t0
    # 3. eager calls on a sharded input (no jit): sharded outputs, the one-device values
    t = time.perf_counter()
    eager = {
        "one_hot_argmax": lambda x, r: rx.one_hot_argmax(x),
        "gumbel_softmax_s3": lambda x, r: rx.gumbel_softmax(x, sample_shape=3, rng=r),
        "reinforce_cat": CALLS["reinforce_cat"],
        "gumbel_top_k_hard": CALLS["gumbel_top_k_hard"],
    }
    for n, fn in eager.items():
        for kind, r in keys().items():
            out = fn(xs, r)
            check_layout(f"eager/{n}/{kind}", out)
            same(f"eager/{n}/{kind}", out, fn(x1, r), exact=n != "reinforce_cat")
    seconds["eager"] = time.perf_counter() - t
    # 4. shard_map: one stream per device with fold_in(key, axis_index)
    t = time.perf_counter()
    folds = {"jax": jax.random.fold_in, "portable": random.fold_in}

    def per_device(x, jkey, pkey):
        out = {}
        for kind, key in (("jax", jkey), ("portable", pkey)):
            kd = folds[kind](key, jax.lax.axis_index("batch"))
            out[kind] = rx.gumbel_softmax(x, temperature=0.5, sample_shape=2, rng=kd)
        return out

    sm = jax.shard_map(
        per_device, mesh=mesh, in_specs=(P("batch"), P(), P()), out_specs=P(None, "batch")
    )
    zeros = jax.device_put(jnp.zeros((B, K), jnp.float32), NamedSharding(mesh, P("batch")))

    def sm_and_grads(x, jkey, pkey):
        grads = {
            kind: jax.grad(lambda x, kind=kind: jnp.sum(sm(x, jkey, pkey)[kind] * W))(x)
            for kind in KINDS
        }
        return sm(x, jkey, pkey), grads

    compiled, seconds["compile_shard_map"] = compile_(sm_and_grads, zeros, *args)
    assert not hlo_problems(compiled.as_text()), f"shard_map: {hlo_problems(compiled.as_text())}"
    samples, grads = compiled(zeros, *args)
    for kind in KINDS:
        y = np.asarray(samples[kind])  # (2, B, K): sample axis, then the sharded batch
        check_layout(f"shard_map/{kind}", samples[kind])
        independent_blocks(f"shard_map/{kind}", y.transpose(1, 0, 2).reshape(8, -1))
        # the sample axis draws fresh noise too (it is not a copy of the first sample)
        assert not np.array_equal(y[0], y[1]), f"shard_map/{kind}: samples repeat"
        g = grads[kind]
        shard = g.sharding.shard_shape(g.shape)
        assert shard == (B // 8, K), f"shard_map/{kind}: gradient not sharded: {shard}"
        ga = np.asarray(g)
        assert np.all(np.isfinite(ga)) and np.all(np.any(ga != 0, axis=1)), (
            f"shard_map/{kind}: gradient vanishes on some rows"
        )
    # a portable key folded with the traced axis index gives the keys of fold_in(key, i)
    ref_blocks = [
        np.asarray(
            rx.gumbel_softmax(
                jnp.zeros((B // 8, K), jnp.float32),
                temperature=0.5,
                sample_shape=2,
                rng=random.fold_in(random.portable(7), i),
            )
        )
        for i in range(8)
    ]
    np.testing.assert_array_equal(
        np.asarray(samples["portable"]),
        np.concatenate(ref_blocks, axis=1),
        err_msg="shard_map/portable: block i is not the stream of fold_in(key, i)",
    )
    seconds["shard_map"] = time.perf_counter() - t
    summary = {
        "calls": len(CALLS),
        "meshes": ["auto", "explicit"],
        "eager": len(eager),
        "shard_map": list(KINDS),
        "seconds": {n: round(s, 1) for n, s in seconds.items()},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as exc:
        print(f"FAILED: {exc}\nseconds: {SECONDS}", file=sys.stderr)
        sys.exit(1)
