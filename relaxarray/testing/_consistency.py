"""``assert_consistent``: one function, every backend, the same numbers."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from relaxarray import random
from relaxarray.backends._catalog import KNOWN_BACKENDS, Target, is_installed
from relaxarray.backends._catalog import targets as _backend_targets
from relaxarray.testing._selection import selected_backends

__all__ = ["assert_consistent", "targets"]


def targets(backends: Iterable[str] | None = None) -> list[Target]:
    """The targets (backend, device, jit variant) of ``backends``.

    Parameters
    ----------
    backends : iterable of str, optional
        Backend names from ``KNOWN_BACKENDS``. ``None`` means every installed backend
        that ``RELAXARRAY_TEST_BACKENDS`` selects (all of them when it is unset); a
        named backend that is unknown or not installed raises ``ValueError``.
    """
    if backends is None:
        names = [b for b in selected_backends() if is_installed(b)]
    else:
        if isinstance(backends, str):
            raise TypeError("backends must be a list of backend names, not a str")
        names = list(backends)
        for name in names:
            if name not in KNOWN_BACKENDS:
                raise ValueError(
                    f"unknown backend {name!r}; known backends: {', '.join(KNOWN_BACKENDS)}"
                )
            if not is_installed(name):
                raise ValueError(f"backend {name!r} is not installed here")
    return [t for name in names for t in _backend_targets(name)]


@dataclass
class _Row:
    target: str
    quantity: str
    ok: bool
    max_abs: float = 0.0
    max_rel: float = 0.0
    index: str = "-"
    note: str = ""


def _accepts_rng(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD
        or (p.name == "rng" and p.kind is not inspect.Parameter.POSITIONAL_ONLY)
        for p in params
    )


def _outputs(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _is_float_np(a: Any) -> bool:
    return isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)


def _namespace_name(xp: Any) -> str:
    return str(getattr(xp, "__name__", repr(xp)))


def _meta_rows(
    t: Target, name: str, out: Any, ref: np.ndarray, want_dtype: str, like: Any
) -> list[_Row]:
    """FAIL rows for an output of the wrong namespace, dtype, shape or device.

    ``like`` is the first array argument as converted for ``t`` (``None`` without one):
    the output must be an array of its namespace, on its device. ``want_dtype`` is the
    Array API name of the dtype it must have.
    """
    import array_api_compat

    want_xp = t.xp if like is None else array_api_compat.array_namespace(like)
    try:
        got_xp = array_api_compat.array_namespace(out)
    except TypeError:
        note = f"not an array: {type(out).__module__}.{type(out).__qualname__}"
        return [_Row(t.id, f"{name} namespace", False, note=note)]
    if got_xp is not want_xp:
        note = f"{_namespace_name(got_xp)} array, input is {_namespace_name(want_xp)}"
        return [_Row(t.id, f"{name} namespace", False, note=note)]
    rows = []
    want = getattr(want_xp, want_dtype, None)
    if want is None or out.dtype != want:
        note = f"{_dtype_name(out.dtype)} != expected {want_dtype}"
        rows.append(_Row(t.id, f"{name} dtype", False, note=note))
    if tuple(out.shape) != ref.shape:
        note = f"shape {tuple(out.shape)} != reference {ref.shape}"
        rows.append(_Row(t.id, f"{name} shape", False, note=note))
    if like is not None:
        want_dev, got_dev = array_api_compat.device(like), array_api_compat.device(out)
        if got_dev != want_dev:
            note = f"on {got_dev!r}, input on {want_dev!r}"
            rows.append(_Row(t.id, f"{name} device", False, note=note))
    return rows


def _dtype_name(dtype: Any) -> str:
    """``float32`` for numpy's, torch's (``torch.float32``) and JAX's float32 alike."""
    return str(dtype).rpartition(".")[2]


def _compare(target: str, quantity: str, got: Any, ref: Any, rtol: float, atol: float) -> _Row:
    got = np.asarray(got)
    ref = np.asarray(ref)
    if got.shape != ref.shape:
        return _Row(target, quantity, False, note=f"shape {got.shape} != reference {ref.shape}")
    g = got.astype(np.float64) if got.dtype != np.float64 else got
    r = ref.astype(np.float64) if ref.dtype != np.float64 else ref
    nan_g, nan_r = np.isnan(g), np.isnan(r)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(g - r)
        same = (g == r) | (nan_g & nan_r)
        bad = ~same & ~(diff <= atol + rtol * np.abs(r))
        finite = np.isfinite(diff)
        max_abs = float(diff[finite].max()) if finite.any() else 0.0
        rel = np.where(
            r != 0, diff / np.where(r != 0, np.abs(r), 1.0), np.where(diff > 0, np.inf, 0.0)
        )
        max_rel = float(rel[finite].max()) if finite.any() else 0.0
    if not bad.any():
        return _Row(target, quantity, True, max_abs, max_rel)
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    idx = str(first) if first else "()"
    if nan_g[first] != nan_r[first]:
        where = target if nan_g[first] else "the reference (numpy float64)"
        note = f"NaN on {where} only"
    elif not np.isfinite(g[first]) or not np.isfinite(r[first]):
        note = f"{g[first]!r} vs reference {r[first]!r}"
    else:
        note = f"{g[first]:.17g} vs reference {r[first]:.17g}"
    return _Row(target, quantity, False, max_abs, max_rel, idx, note)


def _table(rows: Sequence[_Row]) -> str:
    head = (
        "backend",
        "quantity",
        "status",
        "max abs diff",
        "max rel diff",
        "first bad index",
        "note",
    )
    body = [
        (
            r.target,
            r.quantity,
            "ok" if r.ok else "FAIL",
            f"{r.max_abs:.3g}",
            f"{r.max_rel:.3g}",
            r.index,
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), sep, *(line(b) for b in body)])


def assert_consistent(
    fn: Callable[..., Any],
    /,
    *args: Any,
    rtol: float = 1e-7,
    atol: float = 0.0,
    backends: Iterable[str] | None = None,
    grad: bool = True,
    grad_rtol: float | None = None,
    grad_atol: float | None = None,
    seed: int = 0,
    kwargs: dict[str, Any] | None = None,
) -> None:
    """Assert that ``fn(*args)`` gives the same numbers on every backend and device.

    NumPy arrays in ``args`` are converted to each target (backend, device, jit
    variant; floating arrays as float64); other arguments pass unchanged. When ``fn``
    has a keyword parameter ``rng`` (or ``**kwargs``) it gets
    ``rng=relaxarray.random.portable(seed)``, the portable Threefry stream whose uniform
    bits are identical on every backend, so samplers are comparable too.

    Compared, on every target, with the float64 NumPy result:

    - every output's namespace, device, dtype and shape: an array of the input's
      namespace (another library's array is a FAIL row, not read back), on the input's
      device, with the reference's shape; a floating output keeps the floating inputs'
      dtype (float64), an integer or boolean one the NumPy reference's dtype;
    - the value(s): ``fn`` returns an array or a tuple/list of arrays;
    - with ``grad=True``, on backends with autodiff, the gradient of the sum of the
      floating outputs with respect to every floating array argument. NumPy has no
      autodiff, so the first autodiff target (torch if installed, else jax) is the
      reference for the others.

    JAX computes in float32 unless ``jax.config.update("jax_enable_x64", True)``;
    loosen ``rtol`` or enable x64.

    Parameters
    ----------
    fn : callable
        Written against the Array API (``array_api_compat.array_namespace(x)``).
    *args
        Arguments; NumPy arrays are converted per target.
    rtol, atol : float
        Tolerance of the values: ``|got - ref| <= atol + rtol * |ref|``; NaN must match NaN.
    backends : list of str, optional
        Names from ``KNOWN_BACKENDS``; ``None`` means every installed backend selected
        by ``RELAXARRAY_TEST_BACKENDS`` (see :func:`targets`).
    grad : bool
        Also compare gradients on autodiff backends.
    grad_rtol, grad_atol : float, optional
        Tolerance of the gradients (default: ``rtol``, ``atol``).
    seed : int
        Seed of the portable ``rng``.
    kwargs : dict, optional
        Extra keyword arguments for ``fn`` (not converted).

    Raises
    ------
    AssertionError
        After every target ran, with a table: per target and quantity, the largest
        absolute and relative difference and the first differing index (and why: NaN on
        one side only, a wrong namespace, dtype, shape or device, an exception).
    ValueError
        For an unknown or uninstalled backend name.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import softmax
    >>> from relaxarray.testing import assert_consistent
    >>> assert_consistent(softmax, np.array([[0.5, -1.0, 2.0]]), backends=["numpy"])
    """
    target_list = targets(backends)
    reference_target = _backend_targets("numpy")[0]
    call_kwargs = dict(kwargs or {})
    if _accepts_rng(fn) and "rng" not in call_kwargs:
        call_kwargs["rng"] = random.portable(seed)
    np_args = [a.astype(np.float64) if _is_float_np(a) else a for a in args]
    array_pos = [i for i, a in enumerate(np_args) if isinstance(a, np.ndarray)]
    float_pos = [i for i in array_pos if _is_float_np(np_args[i])]
    g_rtol = rtol if grad_rtol is None else grad_rtol
    g_atol = atol if grad_atol is None else grad_atol

    ref_out = [
        np.asarray(o) for o in _outputs(_run(reference_target, fn, np_args, array_pos, call_kwargs))
    ]
    float_out = [i for i, o in enumerate(ref_out) if np.issubdtype(o.dtype, np.floating)]
    # floating outputs keep the floating inputs' dtype (float64: NumPy inputs are
    # converted so); other outputs have the NumPy reference's dtype on every backend
    want_dtypes = [
        "float64" if i in float_out and float_pos else _dtype_name(o.dtype)
        for i, o in enumerate(ref_out)
    ]

    rows: list[_Row] = []
    grad_ref: list[Any] | None = None
    for t in target_list:
        try:
            t_args = [t.asarray(a) if i in array_pos else a for i, a in enumerate(np_args)]
            out = _outputs(_run(t, fn, t_args, array_pos, call_kwargs))
        except Exception as exc:  # report, do not hide, any failure to run
            rows.append(_Row(t.id, "value", False, note=f"raised {type(exc).__name__}: {exc}"))
            continue
        if len(out) != len(ref_out):
            rows.append(
                _Row(t.id, "value", False, note=f"{len(out)} outputs != reference {len(ref_out)}")
            )
            continue
        like = t_args[array_pos[0]] if array_pos else None
        for k, (o, r) in enumerate(zip(out, ref_out, strict=True)):
            name = "value" if len(out) == 1 else f"value[{k}]"
            meta = _meta_rows(t, name, o, r, want_dtypes[k], like)
            rows.extend(meta)
            if any(m.quantity.endswith(("namespace", "shape")) for m in meta):
                continue  # values of another library or shape: not comparable
            try:
                got = t.to_numpy(o)
            except Exception as exc:
                note = f"reading it back raised {type(exc).__name__}: {exc}"
                rows.append(_Row(t.id, name, False, note=note))
                continue
            rows.append(_compare(t.id, name, got, r, rtol, atol))
        if not (grad and t.adapter.differentiable and float_pos and float_out):
            continue
        try:
            grads = _grads(t, fn, t_args, array_pos, float_pos, float_out, call_kwargs)
        except Exception as exc:
            rows.append(_Row(t.id, "grad", False, note=f"raised {type(exc).__name__}: {exc}"))
            continue
        if grad_ref is None:
            grad_ref = grads
            for i in float_pos:
                rows.append(_Row(t.id, f"grad[arg {i}]", True, note="gradient reference"))
            continue
        for i, g, r in zip(float_pos, grads, grad_ref, strict=True):
            rows.append(_compare(t.id, f"grad[arg {i}]", g, r, g_rtol, g_atol))
    if not all(r.ok for r in rows):
        name = getattr(fn, "__name__", repr(fn))
        raise AssertionError(
            f"{name} is not consistent across backends (reference: numpy float64; "
            f"rtol={rtol}, atol={atol}):\n{_table(rows)}"
        )


def _run(
    t: Target, fn: Callable[..., Any], args: list[Any], array_pos: list[int], kwargs: dict[str, Any]
) -> Any:
    if not t.jit:
        return fn(*args, **kwargs)

    def arrays_only(*arrays: Any) -> Any:
        full = list(args)
        for i, a in zip(array_pos, arrays, strict=True):
            full[i] = a
        return fn(*full, **kwargs)

    return t.adapter.jit(arrays_only)(*(args[i] for i in array_pos))


def _grads(
    t: Target,
    fn: Callable[..., Any],
    args: list[Any],
    array_pos: list[int],
    float_pos: list[int],
    float_out: list[int],
    kwargs: dict[str, Any],
) -> list[Any]:
    xp = t.xp

    def total(*floats: Any) -> Any:
        # only the differentiated arrays are arguments (non-arrays, e.g. a callable,
        # stay closed over, so the function can be jitted)
        full = list(args)
        for i, a in zip(float_pos, floats, strict=True):
            full[i] = a
        outs = _outputs(fn(*full, **kwargs))
        return functools.reduce(
            lambda s, k: s + xp.sum(outs[k]), float_out[1:], xp.sum(outs[float_out[0]])
        )

    run = t.adapter.jit(total) if t.jit else total
    positions = list(range(len(float_pos)))
    _, grads = t.adapter.value_and_grad(run, [args[i] for i in float_pos], positions)
    return [t.to_numpy(g) for g in grads]
