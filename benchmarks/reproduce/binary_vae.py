"""Binary VAE on statically binarised MNIST, the linear one-layer model of the REBAR,
RELAX and DisARM papers: 784 -> 200 Bernoulli latents -> 784.

Model (as in the reference code of Tucker et al. 2017 / Grathwohl et al. 2018):
encoder logits ``theta = (x - mean_x) We + be``; prior ``Bernoulli(sigmoid(prior))`` with
learned logits; decoder ``p(x | b) = Bernoulli(sigmoid(b Wd + bd))``, ``bd`` initialised
at the logits of the training pixel means. The per-example objective is the one-sample
ELBO ``f(b) = log p(x | b) + log p(b) - log q(b | x)``; its ``log q`` enters ``f`` with the
encoder logits' gradient stopped (its expected gradient is zero), so the encoder
gradient is the estimator's and the decoder and prior get the plain pathwise gradient
of ``f`` at the sampled ``b``.

Estimators (relaxarray.estimators, surrogate forms, noise passed explicitly so that the
same loss runs on jax and torch from the same uniform noise):

- ``rloo``: REINFORCE with the leave-one-out baseline, 2 samples;
- ``arm``, ``disarm``: one antithetic pair (2 evaluations of ``f``);
- ``rebar``: control ``eta f(sigmoid(z / lambda))``, ``eta`` and ``lambda`` adapted;
- ``relax``: control ``eta f(sigmoid(z / lambda)) + r_phi(sigmoid(z))`` with ``r_phi`` a
  one-hidden-layer MLP (200 tanh units); ``eta``, ``lambda`` and ``phi`` adapted.

The control-variate parameters are adapted by descending the squared norm of the
minibatch gradient estimate for the encoder parameters (``We``, ``be``), as in the
reference code; it is unbiased for the gradient of the variance because the mean does
not depend on them. Optimiser: Adam, learning rate 1e-4 (model; 1e-3 for the control
parameters), batch 50: the DisARM/ARM papers' setting.

Evaluation (every ``--eval-every`` steps): the 1-sample training ELBO over the full
training set (one pass, one latent sample per image) and the 1-sample validation ELBO.
The results JSON is rewritten at every evaluation, so an interrupted run keeps its curve.

Data: ``--data PATH`` (default ``../shared/data/binarized_mnist.npz`` beside the
repository root, or the environment variable ``RELAXARRAY_REPRO_DATA``): an ``.npz`` with
arrays ``train`` (50000), ``valid`` (10000), ``test`` (10000) of the statically binarised
MNIST of Larochelle & Murray (2011), either 0/1 arrays of 784 pixels or bit-packed (98
bytes an image, ``np.packbits`` along the pixel axis).
Without it, download the three ``binarized_mnist_{train,valid,test}.amat`` text files of
Larochelle & Murray's split (mirrored, for example, by the REBAR and IWAE code bases), read
each with ``np.loadtxt`` (one image of 784 0/1 values a line) and save them with
``np.savez(path, train=..., valid=..., test=...)``.

    python benchmarks/reproduce/binary_vae.py --estimator disarm --steps 200000
    python benchmarks/reproduce/binary_vae.py --quick          # every estimator, 2000 steps
    python benchmarks/reproduce/binary_vae.py --plot           # plot the results JSONs
    python benchmarks/reproduce/binary_vae.py --variance       # gradient variance at init
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from relaxarray import estimators as est  # noqa: E402

DEFAULT_DATA = Path(
    os.environ.get("RELAXARRAY_REPRO_DATA", ROOT.parent / "shared" / "data" / "binarized_mnist.npz")
)
RESULTS = Path(__file__).resolve().parent / "results"
ESTIMATORS = ("rloo", "arm", "disarm", "rebar", "relax", "reinforce")
ADAPTIVE = ("rebar", "relax")
D, K, HIDDEN = 784, 200, 200
LABELS = {
    "reinforce": "REINFORCE (2 samples, no baseline)",
    "rloo": "REINFORCE-LOO (2 samples)",
    "arm": "ARM",
    "disarm": "DisARM",
    "rebar": "REBAR",
    "relax": "RELAX",
}


# Highest training ELBOs of the RELAX paper (Grathwohl et al. 2018, one-layer linear model,
# MNIST; batch 24, 2M iterations), drawn as reference lines.
PUBLISHED_TRAIN = (
    (-111.20, "RELAX, Grathwohl et al. 2018 (best train, 2M steps)", ":"),
    (-111.6, "REBAR, same table", "--"),
)


# -- data -------------------------------------------------------------------------------------
def load_data(path: Path) -> dict[str, np.ndarray]:
    """``train``/``valid``/``test`` as float32 0/1 arrays of shape (n, 784)."""
    if not Path(path).exists():
        raise FileNotFoundError(
            f"{path} not found: pass --data PATH to an .npz with the statically binarised "
            "MNIST of Larochelle & Murray (2011), arrays train/valid/test (see the module "
            "docstring for how to build it)"
        )
    d = np.load(path)
    out = {}
    for k in ("train", "valid", "test"):
        a = d[k]
        if a.shape[1] != D:
            a = np.unpackbits(a, axis=1)[:, :D]
        out[k] = a.astype(np.float32)
    return out


# -- the model, written once against the array namespace ----------------------------------
def _lsig(xp: Any, z: Any) -> Any:
    """log sigmoid(z) = -log(1 + exp(-z)), stable in both tails, smooth at 0."""
    return -xp.logaddexp(0 * z, -z)


def _sigmoid(xp: Any, z: Any) -> Any:
    """sigmoid(z) as (1 + tanh(z / 2)) / 2: no overflow in the value or the gradient."""
    return 0.5 * (1 + xp.tanh(0.5 * z))


def _bern_logp(xp: Any, v: Any, logits: Any) -> Any:
    """Sum over the last axis of the Bernoulli log-probability of v (0/1 or relaxed)."""
    return xp.sum(v * _lsig(xp, logits) + (1 - v) * _lsig(xp, -logits), axis=-1)


def init_params(
    train: np.ndarray, seed: int = 0
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Model and control-variate parameters (float32 NumPy arrays)."""
    r = np.random.default_rng(seed)
    mean = np.clip(train.mean(0), 1e-3, 1 - 1e-3)
    f32 = np.float32
    params = {
        "We": (r.standard_normal((D, K)) * np.sqrt(1.0 / D)).astype(f32),
        "be": np.zeros(K, f32),
        "Wd": (r.standard_normal((K, D)) * np.sqrt(1.0 / K)).astype(f32),
        "bd": np.log(mean / (1 - mean)).astype(f32),
        "prior": np.zeros(K, f32),
    }
    cv = {
        "eta": np.ones((), f32),
        "log_temp": np.array(np.log(0.5), f32),
        "W1": (r.standard_normal((K, HIDDEN)) * np.sqrt(1.0 / K)).astype(f32),
        "b1": np.zeros(HIDDEN, f32),
        "w2": np.zeros(HIDDEN, f32),
        "b2": np.zeros((), f32),
    }
    return params, cv


def encoder_logits(p: dict[str, Any], xc: Any) -> Any:
    return xc @ p["We"] + p["be"]


def elbo_terms(xp: Any, p: dict[str, Any], x: Any, enc_sg: Any, b: Any) -> Any:
    """f(b) of shape (S, B) for samples b (S, B, K): log p(x|b) + log p(b) - log q(b|x)."""
    return (
        _bern_logp(xp, x, b @ p["Wd"] + p["bd"])
        + _bern_logp(xp, b, p["prior"])
        - _bern_logp(xp, b, enc_sg)
    )


def noise_shape(estimator: str, batch: int) -> tuple[int, ...]:
    """Shape of the uniform noise one training step uses."""
    if estimator in ADAPTIVE:
        return (2, 1, batch, K)
    return (2 if estimator in ("rloo", "reinforce") else 1, batch, K)


def surrogate_loss(
    xp: Any,
    sg: Any,
    estimator: str,
    p: dict[str, Any],
    cv: dict[str, Any],
    x: Any,
    xc: Any,
    noise: Any,
) -> Any:
    """Minus the mean (over the batch) of the estimator's surrogate of the ELBO.

    ``sg`` is the framework's stop-gradient. Its value is minus the Monte Carlo ELBO; its
    gradient is the estimator for the encoder and the pathwise gradient for the rest.
    """
    return surrogate_from_logits(xp, sg, estimator, p, cv, x, encoder_logits(p, xc), noise)


def surrogate_from_logits(
    xp: Any,
    sg: Any,
    estimator: str,
    p: dict[str, Any],
    cv: dict[str, Any],
    x: Any,
    enc: Any,
    noise: Any,
) -> Any:
    """:func:`surrogate_loss` given the encoder logits ``enc`` (shape (B, K))."""
    enc_sg = sg(enc)

    def f(b: Any) -> Any:
        return elbo_terms(xp, p, x, enc_sg, b)

    if estimator == "reinforce":
        s = est.reinforce(f, enc, noise=noise)
    elif estimator == "rloo":
        s = est.reinforce(f, enc, baseline="rloo", noise=noise)
    elif estimator == "arm":
        s = est.arm(f, enc, noise=noise)
    elif estimator == "disarm":
        s = est.disarm(f, enc, noise=noise)
    else:
        eta, temp = cv["eta"], xp.exp(cv["log_temp"])
        if estimator == "rebar":
            s = est.rebar(f, enc, eta=eta, temperature=temp, noise=noise)
        else:

            def control(z: Any) -> Any:
                soft = _sigmoid(xp, z / temp)
                h = xp.tanh(_sigmoid(xp, z) @ cv["W1"] + cv["b1"])
                return eta * f(soft) + h @ cv["w2"] + cv["b2"]

            s = est.relax(f, enc, control=control, noise=noise)
    return -xp.mean(s)


# -- jax training ---------------------------------------------------------------------------
def _adam(params: Any, grads: Any, m: Any, v: Any, t: Any, lr: float) -> tuple[Any, Any, Any]:
    import jax
    import jax.numpy as jnp

    m = jax.tree.map(lambda a, g: 0.9 * a + 0.1 * g, m, grads)
    v = jax.tree.map(lambda a, g: 0.999 * a + 0.001 * g * g, v, grads)
    c1, c2 = 1 - 0.9**t, 1 - 0.999**t
    params = jax.tree.map(
        lambda q, a, b: q - lr * (a / c1) / (jnp.sqrt(b / c2) + 1e-8), params, m, v
    )
    return params, m, v


def make_jax_step(estimator: str, mean_x: np.ndarray, lr: float, cv_lr: float) -> Any:
    """One jitted training step ``state, x, key -> state, loss``."""
    import jax
    import jax.numpy as jnp

    mx = jnp.asarray(mean_x)
    sg = jax.lax.stop_gradient
    tiny = float(np.finfo(np.float32).tiny)

    def loss(p: Any, cv: Any, x: Any, noise: Any) -> Any:
        return surrogate_loss(jnp, sg, estimator, p, cv, x, x - mx, noise)

    def step(state: Any, x: Any, key: Any) -> Any:
        p, cv, opt = state["p"], state["cv"], state["opt"]
        t = opt["t"] + 1
        noise = jax.random.uniform(key, noise_shape(estimator, x.shape[0]), x.dtype, tiny)
        if estimator in ADAPTIVE:

            def var_obj(cv_: Any) -> Any:
                val, g = jax.value_and_grad(loss)(p, cv_, x, noise)
                return jnp.sum(g["We"] ** 2) + jnp.sum(g["be"] ** 2), (val, g)

            (_, (val, g)), gcv = jax.value_and_grad(var_obj, has_aux=True)(cv)
            cv, opt["mc"], opt["vc"] = _adam(cv, gcv, opt["mc"], opt["vc"], t, cv_lr)
        else:
            val, g = jax.value_and_grad(loss)(p, cv, x, noise)
        p, opt["m"], opt["v"] = _adam(p, g, opt["m"], opt["v"], t, lr)
        opt["t"] = t
        return {"p": p, "cv": cv, "opt": opt}, val

    return jax.jit(step)


def gradient_variance(
    estimator: str,
    data: np.ndarray,
    *,
    reps: int = 2000,
    batch: int = 50,
    seed: int = 0,
    noise_seed: int = 1,
    chunk: int = 500,
) -> float:
    r"""Variance of the encoder-weight gradient estimate at the initial parameters.

    ``reps`` independent estimates on one fixed minibatch (the first ``batch`` images).
    Returned: the variance of :math:`\partial L/\partial W_e` per coordinate, averaged
    over the coordinates. The examples' noises are independent, so the estimates
    :math:`g_{nk}` of :math:`\partial L/\partial\theta_{nk}` are uncorrelated across
    examples ``n`` and :math:`\mathrm{Var}[(\partial L/\partial W_e)_{ik}] = \sum_n
    \tilde x_{ni}^2\,\mathrm{Var}[g_{nk}]` (exactly), with :math:`\tilde x` the centred
    input; the per-logit variances are estimated from the ``reps`` draws.
    """
    import jax
    import jax.numpy as jnp

    params, cv = init_params(data, seed)
    p = jax.tree.map(jnp.asarray, params)
    c = jax.tree.map(jnp.asarray, cv)
    mean_x = data.mean(0).astype(np.float32)
    x = jnp.asarray(data[:batch])
    xc = x - jnp.asarray(mean_x)
    enc = encoder_logits(p, xc)
    tiny = float(np.finfo(np.float32).tiny)

    def g_logits(key: Any) -> Any:
        noise = jax.random.uniform(key, noise_shape(estimator, batch), x.dtype, tiny)
        return jax.grad(
            lambda e: surrogate_from_logits(
                jnp, jax.lax.stop_gradient, estimator, p, c, x, e, noise
            )
        )(enc)

    many = jax.jit(
        lambda ks: jnp.stack(
            [jnp.sum(g, 0) for g in (lambda g: (g, g * g))(jax.vmap(g_logits)(ks))]
        )
    )
    keys = jax.random.split(jax.random.key(noise_seed), reps)
    s = np.zeros((2, batch, K))
    for i in range(0, reps, chunk):
        s += np.asarray(many(keys[i : i + chunk]), np.float64)
    mean = s[0] / reps
    var_logits = (s[1] / reps - mean * mean) * reps / (reps - 1)  # (B, K)
    xc2 = np.asarray(xc, np.float64) ** 2  # (B, D)
    return float(np.mean(xc2.T @ var_logits))


def loss_and_grads(
    backend: str,
    estimator: str,
    params: dict[str, np.ndarray],
    cv: dict[str, np.ndarray],
    x: np.ndarray,
    mean_x: np.ndarray,
    noise: np.ndarray,
) -> tuple[float, dict[str, np.ndarray]]:
    """The training loss and its gradient for all model parameters, on ``"jax"`` (jitted)
    or ``"torch"``, from the same parameters and uniform noise (NumPy in, NumPy out)."""
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        def loss(p: Any) -> Any:
            c = jax.tree.map(jnp.asarray, cv)
            xx = jnp.asarray(x)
            return surrogate_loss(
                jnp,
                jax.lax.stop_gradient,
                estimator,
                p,
                c,
                xx,
                xx - jnp.asarray(mean_x),
                jnp.asarray(noise),
            )

        val, g = jax.jit(jax.value_and_grad(loss))(jax.tree.map(jnp.asarray, params))
        return float(val), {k: np.asarray(v) for k, v in g.items()}
    import torch

    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    tc = {k: torch.tensor(v) for k, v in cv.items()}
    tx = torch.as_tensor(x)
    val = surrogate_loss(
        torch,
        lambda t: t.detach(),
        estimator,
        tp,
        tc,
        tx,
        tx - torch.as_tensor(mean_x),
        torch.as_tensor(noise),
    )
    grads = torch.autograd.grad(val, list(tp.values()))
    return float(val.detach()), {k: g.numpy() for k, g in zip(tp, grads, strict=True)}


def make_jax_elbo(mean_x: np.ndarray) -> Any:
    """Jitted 1-sample ELBO sum over a chunk of images."""
    import jax
    import jax.numpy as jnp

    mx = jnp.asarray(mean_x)

    def elbo_sum(p: Any, x: Any, key: Any) -> Any:
        enc = encoder_logits(p, x - mx)
        u = jax.random.uniform(key, enc.shape, enc.dtype)
        b = (u < jax.nn.sigmoid(enc)).astype(x.dtype)[None]
        return jnp.sum(elbo_terms(jnp, p, x, enc, b))

    return jax.jit(elbo_sum)


def evaluate(elbo_fn: Any, p: Any, data: np.ndarray, key: Any, chunk: int = 5000) -> float:
    import jax

    total = 0.0
    for i in range(0, data.shape[0], chunk):
        key, k = jax.random.split(key)
        total += float(elbo_fn(p, data[i : i + chunk], k))
    return total / data.shape[0]


def init_state(params: dict[str, np.ndarray], cv: dict[str, np.ndarray]) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp

    p = jax.tree.map(jnp.asarray, params)
    c = jax.tree.map(jnp.asarray, cv)
    z = lambda tree: jax.tree.map(jnp.zeros_like, tree)  # noqa: E731
    return {
        "p": p,
        "cv": c,
        "opt": {"m": z(p), "v": z(p), "mc": z(c), "vc": z(c), "t": jnp.zeros((), jnp.float32)},
    }


def train(
    estimator: str,
    data: dict[str, np.ndarray],
    steps: int,
    *,
    batch: int = 50,
    lr: float = 1e-4,
    cv_lr: float = 1e-3,
    eval_every: int = 5000,
    eval_train: int | None = None,
    eval_valid: int | None = None,
    seed: int = 0,
    out: Path | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Train one estimator; returns (and writes to ``out`` at each evaluation) the curve."""
    import jax

    train_x, valid_x = data["train"], data["valid"]
    ev_train = train_x if eval_train is None else train_x[:eval_train]
    ev_valid = valid_x if eval_valid is None else valid_x[:eval_valid]
    params, cv = init_params(train_x, seed)
    mean_x = train_x.mean(0).astype(np.float32)
    step = make_jax_step(estimator, mean_x, lr, cv_lr)
    elbo_fn = make_jax_elbo(mean_x)
    state = init_state(params, cv)
    key = jax.random.key(seed)
    order = np.random.default_rng(seed)
    n = train_x.shape[0]
    result: dict[str, Any] = {
        "estimator": estimator,
        "label": LABELS[estimator],
        "batch": batch,
        "lr": lr,
        "cv_lr": cv_lr,
        "seed": seed,
        "steps_requested": steps,
        "eval_every": eval_every,
        "eval_train_size": int(ev_train.shape[0]),
        "eval_valid_size": int(ev_valid.shape[0]),
        "backend": "jax " + jax.__version__ + " (jit, CPU)",
        "curve": [],
    }
    train_time = 0.0
    t_start = time.time()

    def record(i: int) -> None:
        nonlocal key
        key, k1, k2 = jax.random.split(key, 3)
        tr = evaluate(elbo_fn, state["p"], ev_train, k1)
        va = evaluate(elbo_fn, state["p"], ev_valid, k2)
        row = {
            "step": i,
            "train_elbo": tr,
            "valid_elbo": va,
            "train_seconds": round(train_time, 2),
            "wall_seconds": round(time.time() - t_start, 2),
            "steps_per_second": round((i - 1) / train_time, 2) if train_time > 0 else None,
        }
        if estimator in ADAPTIVE:
            row["eta"] = float(state["cv"]["eta"])
            row["temperature"] = float(np.exp(state["cv"]["log_temp"]))
        result["curve"].append(row)
        result["steps_run"] = i
        if out is not None:
            tmp = out.with_suffix(".tmp")
            tmp.write_text(json.dumps(result, indent=1))
            tmp.replace(out)
        log(
            f"{estimator} step {i}: train ELBO {tr:.2f}, valid ELBO {va:.2f}, "
            f"{row['steps_per_second']} steps/s"
        )

    record(0)
    perm = order.permutation(n)
    pos = 0
    mark = time.perf_counter()
    for i in range(1, steps + 1):
        if pos + batch > n:
            perm, pos = order.permutation(n), 0
        xb = train_x[perm[pos : pos + batch]]
        pos += batch
        key, k = jax.random.split(key)
        state, val = step(state, xb, k)
        if i == 1 or i % 100 == 0 or i == steps:
            if not math.isfinite(float(val)):  # also waits for the queued steps
                raise FloatingPointError(f"{estimator}: loss not finite at step {i}")
        if i == 1:  # compilation: reported apart from the steady-state speed
            result["compile_seconds"] = round(time.perf_counter() - mark, 2)
            mark = time.perf_counter()
        if i % eval_every == 0 or i == steps:
            train_time += time.perf_counter() - mark  # wall time of the steps since the last
            record(i)
            mark = time.perf_counter()
    return result


# -- output ------------------------------------------------------------------------------------
def table(header: list[str], rows: list[list[Any]]) -> str:
    def fmt(x: Any) -> str:
        return f"{x:.2f}" if isinstance(x, float) else str(x)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(fmt(x) for x in r) + " |" for r in rows])


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), constrained_layout=True)
    for r in results:
        c = r["curve"]
        s = [row["step"] for row in c]
        (line,) = ax.plot(s, [row["train_elbo"] for row in c], label=f"{r['label']} (train)")
        ax.plot(
            s,
            [row["valid_elbo"] for row in c],
            "--",
            color=line.get_color(),
            label=f"{r['label']} (valid)",
        )
    for value, name, style in PUBLISHED_TRAIN:
        ax.axhline(value, color="k", lw=0.8, ls=style, label=name)
    ax.set_xlabel("training step (batch 50, Adam 1e-4)")
    ax.set_ylabel("1-sample ELBO (nats)")
    lo = min(min(row["train_elbo"] for row in r["curve"][1:] or r["curve"]) for r in results)
    ax.set_ylim(max(lo - 5, -250), -105)
    ax.set_title("Linear binary VAE (784-200-784) on binarised MNIST")
    ax.legend(frameon=False, fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summary(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        c = r["curve"]
        last = c[-1]
        rows.append(
            [
                r["label"],
                last["step"],
                c[0]["train_elbo"],
                last["train_elbo"],
                max(row["train_elbo"] for row in c),
                last["valid_elbo"],
                last.get("steps_per_second") or "-",
            ]
        )
    return table(
        [
            "estimator",
            "steps run",
            "train ELBO at 0",
            "train ELBO last",
            "best train ELBO",
            "valid ELBO last",
            "steps/s",
        ],
        rows,
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--estimator",
        choices=ESTIMATORS,
        action="append",
        help="repeatable; default: all in --quick mode",
    )
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--eval-every", type=int, default=None)
    ap.add_argument(
        "--eval-train",
        type=int,
        default=None,
        help="evaluate on the first N training images (default: all)",
    )
    ap.add_argument("--eval-valid", type=int, default=None)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument(
        "--quick", action="store_true", help="2000 steps per estimator, 2000-image evaluation sets"
    )
    ap.add_argument(
        "--variance",
        action="store_true",
        help="only tabulate the encoder-gradient variance at initialisation",
    )
    ap.add_argument(
        "--plot", action="store_true", help="only plot and tabulate the result JSONs found in --out"
    )
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.plot:
        res = [json.loads(p.read_text()) for p in sorted(args.out.glob("binary_vae_*.json"))]
        res = [r for r in res if r["curve"]]
        print(summary(res))
        plot(res, args.out / "binary_vae.png")
        return
    if args.variance:
        train_x = load_data(args.data)["train"]
        reps = 500 if args.quick else 2000
        rows = [
            [LABELS[e], gradient_variance(e, train_x, reps=reps, seed=args.seed)]
            for e in ("reinforce", "rloo", "arm", "disarm", "rebar", "relax")
        ]
        print(
            f"Var of dL/dWe per coordinate (mean over coordinates), {reps} estimates at "
            "the initial parameters, first 50 training images\n"
        )
        print(table(["estimator", "variance"], [[r[0], f"{r[1]:.4g}"] for r in rows]))
        return
    names = args.estimator or [e for e in ESTIMATORS if e != "reinforce"]
    quick = args.quick
    steps = args.steps or (2000 if quick else 200_000)
    eval_every = args.eval_every or (500 if quick else 5000)
    eval_train = args.eval_train or (2000 if quick else None)
    eval_valid = args.eval_valid or (2000 if quick else None)
    data = load_data(args.data)
    results = []
    tag = "quick" if quick else "full"
    for name in names:
        out = args.out / f"binary_vae_{tag}_{name}_seed{args.seed}.json"
        results.append(
            train(
                name,
                data,
                steps,
                batch=args.batch,
                lr=args.lr,
                eval_every=eval_every,
                eval_train=eval_train,
                eval_valid=eval_valid,
                seed=args.seed,
                out=out,
                log=lambda s: print(s, flush=True),
            )
        )
    print(summary(results))
    plot(results, args.out / f"binary_vae_{tag}.png")


if __name__ == "__main__":
    main()
