"""The portable Threefry-2x32-20 stream: known answers, jax agreement, bit identity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import Backend

from relaxarray import random
from relaxarray._lib import threefry as _threefry
from relaxarray.backends import get_adapter
from relaxarray.testing import requires_backend

# Random123 known-answer vectors for Threefry-2x32-20, from Random123's
# ``examples/kat_vectors`` (D. E. Shaw Research, Random123 1.x; mirrored e.g. at
# https://github.com/girving/random123/blob/master/examples/kat_vectors), lines
# ``threefry2x32 20 <ctr0> <ctr1> <key0> <key1>   <out0> <out1>``.
KAT_20 = [
    ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x243F6A88, 0x85A308D3), (0x13198A2E, 0x03707344), (0xC4923A9C, 0x483DF7A0)),
]


def _words_np(be: Backend, x: object) -> np.ndarray:
    # the 32-bit pattern of each word, whatever lanes the adapter keeps it in
    return (be.to_numpy(x).astype(np.int64) & 0xFFFFFFFF).astype(np.uint64)


@pytest.mark.parametrize(("ctr", "key", "out"), KAT_20)
def test_known_answers_python(
    ctr: tuple[int, int], key: tuple[int, int], out: tuple[int, int]
) -> None:
    assert _threefry.threefry2x32_int(*key, *ctr) == out


def test_known_answers_arrays(be: Backend) -> None:
    ops = get_adapter(be.xp).uint32_ops(be.device)
    ctr = np.array([c for c, _, _ in KAT_20], dtype=np.uint64)
    key = np.array([k for _, k, _ in KAT_20], dtype=np.uint64)
    out = np.array([o for _, _, o in KAT_20], dtype=np.uint64)

    def words(a: np.ndarray) -> object:
        # words in the adapter's own representation (uint32, or int32 lanes on torch)
        one = ops.iota(1)
        return be.xp.concat([ops.words(int(v), one) for v in a.tolist()])

    def run(k0: object, k1: object, c0: object, c1: object) -> tuple[object, object]:
        return _threefry.threefry2x32(ops, k0, k1, c0, c1)

    x0, x1 = be.run(run, words(key[:, 0]), words(key[:, 1]), words(ctr[:, 0]), words(ctr[:, 1]))
    np.testing.assert_array_equal(_words_np(be, x0), out[:, 0])
    np.testing.assert_array_equal(_words_np(be, x1), out[:, 1])


@requires_backend("jax")
def test_matches_jax_threefry_on_random_inputs() -> None:
    import jax.numpy as jnp
    from jax._src.random.threefry2x32 import threefry_2x32

    gen = np.random.default_rng(7)
    ops = get_adapter(np).uint32_ops("cpu")
    for _ in range(5):
        k0, k1 = (int(v) for v in gen.integers(0, 2**32, size=2))
        count = gen.integers(0, 2**32, size=2 * 1000).astype(np.uint32)
        ref = np.asarray(threefry_2x32((jnp.uint32(k0), jnp.uint32(k1)), jnp.asarray(count)))
        x0, x1 = _threefry.threefry2x32(ops, k0, k1, count[:1000], count[1000:])
        np.testing.assert_array_equal(np.concatenate([x0, x1]), ref)
        # the pure-Python reference agrees too
        assert _threefry.threefry2x32_int(k0, k1, int(count[3]), int(count[1003])) == (
            int(ref[3]),
            int(ref[1003]),
        )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_bit_identical_across_backends(be: Backend, dtype: str) -> None:
    key = random.portable(2024)
    like = be.asarray(np.zeros(1), dtype=dtype)
    u = be.run(lambda x: random.uniform(key, (37, 5), like=x), like)
    ref = random.uniform(key, (37, 5), like=np.zeros(1, dtype=dtype))
    got = be.to_numpy(u)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, ref)  # bit for bit


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_and_gumbel_close_across_backends(be: Backend, dtype: str) -> None:
    key = random.portable(5)
    like = be.asarray(np.zeros(1), dtype=dtype)
    tol = 1e-6 if dtype == "float32" else 1e-13
    for draw in (random.normal, random.gumbel):
        z = be.run(lambda x, f=draw: f(key, (11, 3), like=x), like)
        ref = draw(key, (11, 3), like=np.zeros(1, dtype=dtype))
        np.testing.assert_allclose(be.to_numpy(z), ref, rtol=tol, atol=tol)


def test_conversion_formula_documented() -> None:
    key = random.portable(3)
    ops = get_adapter(np).uint32_ops("cpu")
    w = _threefry.random_words(ops, key, 8).astype(np.uint64)
    u32 = random.uniform(key, 8, dtype=np.float32)
    np.testing.assert_array_equal(
        u32, np.maximum((w >> 8) * 2.0**-24, 2.0**-126).astype(np.float32)
    )
    x0, x1 = w[0::2], w[1::2]
    u64 = random.uniform(key, 4, dtype=np.float64)
    np.testing.assert_array_equal(u64, (x0 >> 6) * 2.0**-26 + (x1 >> 5) * 2.0**-53)
    # block 0 of the data stream is Threefry at counter (0, 0)
    assert (int(w[0]), int(w[1])) == _threefry.threefry2x32_int(key.k0, key.k1, 0, 0)


def test_prefix_stable_and_range() -> None:
    key = random.portable(11)
    for dtype in (np.float16, np.float32, np.float64):
        long = random.uniform(key, 1001, dtype=dtype)
        np.testing.assert_array_equal(random.uniform(key, 10, dtype=dtype), long[:10])
        assert long.dtype == dtype
        assert long.min() >= np.finfo(dtype).smallest_normal and long.max() < 1


def test_moments() -> None:
    # n = 200_000: the standard error of the mean of U(0,1) is 6.5e-4 and of N(0,1)
    # 2.2e-3; the tolerances are about 5 standard errors.
    key = random.portable(1)
    u = random.uniform(key, 200_000, dtype=np.float64)
    assert abs(u.mean() - 0.5) < 3e-3 and abs(u.var() - 1 / 12) < 2e-3
    z = random.normal(random.fold_in(key, 1), 200_000, dtype=np.float64)
    assert abs(z.mean()) < 1.2e-2 and abs(z.var() - 1) < 1.6e-2
    assert abs(np.mean(z**4) - 3) < 0.1
    # neighbouring values are uncorrelated (lag-1 correlation within 5 / sqrt(n))
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 5 / math.sqrt(u.size)


def test_split_and_fold_in_no_collisions() -> None:
    n = 100_000
    key = random.portable(0)
    children = random.split(key, n)
    folded = [random.fold_in(key, i) for i in range(0, n, 97)]
    assert all(isinstance(c, random.PortableKey) for c in children)
    assert len(set(children)) == n
    assert not set(children) & set(folded)
    # the first output word of every child's data stream, vectorised over the keys
    ops = get_adapter(np).uint32_ops("cpu")
    k0 = np.array([c.k0 for c in children], dtype=np.uint32)
    k1 = np.array([c.k1 for c in children], dtype=np.uint32)
    zeros = np.zeros(n, dtype=np.uint32)
    x0, x1 = _threefry.threefry2x32(ops, k0, k1, zeros, zeros)
    firsts = (x0.astype(np.uint64) << 32) | x1
    assert np.unique(firsts).size == n
    # fold_in over 10^5 data values: keys computed vectorised with the parent's key
    d = np.arange(n, dtype=np.uint32)
    f0, f1 = _threefry.threefry2x32(ops, key.k0, key.k1, d, np.full(n, 2, dtype=np.uint32))
    assert np.unique((f0.astype(np.uint64) << 32) | f1).size == n
    assert random.fold_in(key, 12345) == random.PortableKey(int(f0[12345]), int(f1[12345]))
    # a child key differs from the parent's data words at the same counters
    assert (
        random.uniform(children[0], 4, dtype=np.float64).tolist()
        != random.uniform(key, 4, dtype=np.float64).tolist()
    )


def test_split_dispatch_and_errors() -> None:
    key = random.portable(9)
    a, b = random.split(key)
    assert a != b and isinstance(a, random.PortableKey)
    assert get_adapter(np).split(key, 2) == [a, b]
    with pytest.raises(TypeError, match="key must be a PortableKey"):
        random.fold_in(0, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed must be an int"):
        random.portable(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k0"):
        random.PortableKey(2**32, 0)
    assert random.portable(-1) == random.PortableKey(0xFFFFFFFF, 0xFFFFFFFF)
    assert random.portable(2**32 + 5) == random.PortableKey(1, 5)


@requires_backend("jax")
def test_jax_jit_key_as_argument() -> None:
    import jax
    import jax.numpy as jnp

    key = random.portable(77)
    f = jax.jit(lambda k, x: random.uniform(k, (4, 3), like=x) + x)
    x = jnp.zeros((4, 3), dtype=jnp.float32)
    np.testing.assert_array_equal(
        np.asarray(f(key, x)), random.uniform(key, (4, 3), dtype=np.float32)
    )
    other = random.fold_in(key, 1)
    np.testing.assert_array_equal(
        np.asarray(f(other, x)), random.uniform(other, (4, 3), dtype=np.float32)
    )


@requires_backend("torch")
def test_torch_compile_fullgraph() -> None:
    import torch

    key = random.portable(123)

    def f(x: torch.Tensor) -> torch.Tensor:
        return random.uniform(key, (5, 2), like=x) + random.normal(key, (5, 2), like=x)

    x = torch.zeros((5, 2), dtype=torch.float32)
    got = torch.compile(f, fullgraph=True, backend="aot_eager")(x).numpy()
    ref = random.uniform(key, (5, 2), dtype=np.float32) + random.normal(
        key, (5, 2), dtype=np.float32
    )
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)
