"""The toy problem of Tucker et al. (2017) and Grathwohl et al. (2018, Figure 1):
minimise E[(b - t)^2], b ~ Bernoulli(sigmoid(theta)), for t = 0.45 and t = 0.499, and
the variance of each estimator's gradient along the training run.

Every estimator trains its own ``theta`` (initialised at 0) with Adam (learning rate
0.01, our choice), one gradient estimate a step. Every 10 steps (5 in quick mode) the
variance of the estimator at the current ``theta`` (and current control-variate
parameters) is measured from ``--draws`` independent estimates. Estimators (all from
``relaxarray.estimators``): REINFORCE (1 sample, no baseline), REINFORCE-LOO (2 samples),
ARM and DisARM (1 antithetic pair: 2 evaluations of f), REBAR (1 sample; eta and the
temperature adapted) and RELAX (1 sample; control ``c(z) = eta f(sigmoid(z / lambda))
+ r_phi(z)``, ``r_phi`` an MLP with one hidden layer of 10 tanh units, all adapted). The
control parameters descend the single-sample squared gradient estimate (an unbiased
estimate of the gradient of the variance), Adam 0.01.

The exact gradient is ``sigmoid'(theta) ((1 - t)^2 - t^2)``; the optimum is theta -> -inf
(b = 0) because t < 1/2. For t = 0.499 the signal is 0.002 sigmoid'(theta) against a
REINFORCE standard deviation of about 0.125: the hard case of the paper's figure.

    python benchmarks/reproduce/toy_variance.py            # 5000 steps, 2000 draws
    python benchmarks/reproduce/toy_variance.py --quick    # 500 steps, 500 draws
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from relaxarray import estimators as est  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
LABELS = {
    "reinforce": "REINFORCE",
    "rloo": "RLOO (2 samples)",
    "arm": "ARM",
    "disarm": "DisARM",
    "rebar": "REBAR",
    "relax": "RELAX",
}
ADAPTIVE = ("rebar", "relax")
LR = 0.01
HID = 10


def _sigmoid(xp: Any, z: Any) -> Any:
    return 0.5 * (1 + xp.tanh(0.5 * z))


def init_cv(seed: int = 0) -> dict[str, Any]:
    import jax.numpy as jnp

    r = np.random.default_rng(seed)
    f32 = jnp.float32
    return {
        "eta": jnp.ones((), f32),
        "log_temp": jnp.asarray(np.log(0.5), f32),
        "w1": jnp.asarray(r.standard_normal(HID), f32),
        "b1": jnp.zeros(HID, f32),
        "w2": jnp.zeros(HID, f32),
        "b2": jnp.zeros((), f32),
    }


def grad_estimate(name: str, t: float, theta: Any, cv: Any, key: Any) -> Any:
    """One estimate of d E[(b - t)^2] / d theta, theta of shape (1,)."""
    import jax
    import jax.numpy as jnp

    def f(b: Any) -> Any:
        return (b - t) ** 2

    tiny = float(np.finfo(np.float32).tiny)

    def sur(th: Any) -> Any:
        if name in ("reinforce", "rloo"):
            s = 2 if name == "rloo" else 1
            noise = jax.random.uniform(key, (s, 1), th.dtype, tiny)
            return est.reinforce(f, th, baseline="rloo" if s == 2 else None, noise=noise).sum()
        if name in ("arm", "disarm"):
            noise = jax.random.uniform(key, (1, 1), th.dtype, tiny)
            return getattr(est, name)(f, th, noise=noise).sum()
        noise = jax.random.uniform(key, (2, 1, 1), th.dtype, tiny)
        temp = jnp.exp(cv["log_temp"])
        if name == "rebar":
            return est.rebar(f, th, eta=cv["eta"], temperature=temp, noise=noise).sum()

        def control(z: Any) -> Any:
            h = jnp.tanh(z[..., None] * cv["w1"] + cv["b1"])
            return cv["eta"] * f(_sigmoid(jnp, z / temp)) + h @ cv["w2"] + cv["b2"]

        return est.relax(f, th, control=control, noise=noise).sum()

    return jax.grad(sur)(theta)[0]


def _adam(p: Any, g: Any, m: Any, v: Any, t: Any) -> tuple[Any, Any, Any]:
    import jax
    import jax.numpy as jnp

    m = jax.tree.map(lambda a, b: 0.9 * a + 0.1 * b, m, g)
    v = jax.tree.map(lambda a, b: 0.999 * a + 0.001 * b * b, v, g)
    p = jax.tree.map(
        lambda q, a, b: q - LR * (a / (1 - 0.9**t)) / (jnp.sqrt(b / (1 - 0.999**t)) + 1e-8), p, m, v
    )
    return p, m, v


def run(
    name: str, t: float, steps: int, draws: int, var_every: int = 10, seed: int = 0
) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp

    def step(carry: Any, inp: Any) -> Any:
        th, cv, opt = carry
        # opt: (m_th, v_th, m_cv, v_cv)
        i, key = inp
        k_train, k_var = jax.random.split(key)

        def measure(_: Any) -> Any:
            many = jax.vmap(lambda k: grad_estimate(name, t, th, cv, k))(
                jax.random.split(k_var, draws)
            )
            return jnp.stack([jnp.var(many, ddof=1), jnp.mean(many)])

        var, mean = jax.lax.cond(
            (i - 1) % var_every == 0, measure, lambda _: jnp.full((2,), jnp.nan), None
        )
        if name in ADAPTIVE:

            def sq(c: Any) -> Any:
                g = grad_estimate(name, t, th, c, k_train)
                return g * g, g

            (_, g), gcv = jax.value_and_grad(sq, has_aux=True)(cv)
            cv, mc, vc = _adam(cv, gcv, opt[2], opt[3], i)
        else:
            g = grad_estimate(name, t, th, cv, k_train)
            mc, vc = opt[2], opt[3]
        th2, mt, vt = _adam(th, jnp.reshape(g, (1,)), opt[0], opt[1], i)
        p = jax.nn.sigmoid(th[0])
        exact = p * (1 - p) * ((1 - t) ** 2 - t**2)
        loss = (1 - p) * t**2 + p * (1 - t) ** 2
        return (th2, cv, (mt, vt, mc, vc)), (var, th[0], loss, exact, mean)

    cv = init_cv(seed)
    th = jnp.zeros(1, jnp.float32)
    z = lambda tree: jax.tree.map(jnp.zeros_like, tree)  # noqa: E731
    carry = (th, cv, (z(th), z(th), z(cv), z(cv)))
    ts = jnp.arange(1, steps + 1, dtype=jnp.float32)
    keys = jax.random.split(jax.random.key(seed), steps)
    t0 = time.perf_counter()
    (thf, cvf, _), (var, theta, loss, exact, mean) = jax.jit(lambda c, x: jax.lax.scan(step, c, x))(
        carry, (ts, keys)
    )
    sel = slice(0, steps, var_every)
    out = {
        "estimator": name,
        "t": t,
        "steps": steps,
        "draws": draws,
        "var_every": var_every,
        "var_steps": list(range(1, steps + 1, var_every)),
        "variance": np.asarray(var)[sel].tolist(),
        "theta": np.asarray(theta)[sel].tolist(),
        "loss": np.asarray(loss)[sel].tolist(),
        "final_loss": float(loss[-1]),
        "exact_grad": np.asarray(exact)[sel].tolist(),
        "mean_estimate": np.asarray(mean)[sel].tolist(),
        "final_theta": float(thf[0]),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    if name in ADAPTIVE:
        out["final_eta"] = float(cvf["eta"])
        out["final_temperature"] = float(jnp.exp(cvf["log_temp"]))
    return out


def summary(results: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for r in results:
        v = np.asarray(r["variance"])
        ref = next(q for q in results if q["t"] == r["t"] and q["estimator"] == "reinforce")
        ratio = np.asarray(v) / np.asarray(ref["variance"])
        rows.append(
            [
                r["t"],
                LABELS[r["estimator"]],
                float(v[0]),
                float(np.median(v)),
                float(np.median(ratio)),
                r["final_theta"],
                r["final_loss"],
            ]
        )
    return rows


def table(rows: list[list[Any]]) -> str:
    head = [
        "t",
        "estimator",
        "Var at step 1",
        "median Var over the run",
        "median Var / REINFORCE's (same step)",
        "final theta",
        "final E[f]",
    ]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        out.append(
            "| " + " | ".join(f"{x:.4g}" if isinstance(x, float) else str(x) for x in r) + " |"
        )
    return "\n".join(out)


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ts = sorted({r["t"] for r in results})
    fig, axes = plt.subplots(
        2, len(ts), figsize=(5.5 * len(ts), 6.5), squeeze=False, constrained_layout=True
    )
    for j, t in enumerate(ts):
        for r in (r for r in results if r["t"] == t):
            v = np.log10(np.asarray(r["variance"]) + 1e-30)
            w = max(1, len(v) // 50)
            smooth = np.convolve(v, np.ones(w) / w, mode="valid")
            x = np.asarray(r["var_steps"])[w // 2 : w // 2 + len(smooth)]
            axes[0, j].plot(x, smooth, label=LABELS[r["estimator"]])
            axes[1, j].plot(r["var_steps"], r["loss"], label=LABELS[r["estimator"]])
        axes[0, j].set_title(f"t = {t}: variance of the gradient estimate")
        axes[0, j].set_ylabel("log10 variance")
        axes[1, j].axhline(t**2, color="k", lw=0.8, ls=":", label="optimum $t^2$")
        axes[1, j].set_title(f"t = {t}: exact loss E[(b - t)^2] at the current theta")
        axes[1, j].set_xlabel("step")
        axes[0, j].legend(frameon=False, fontsize=8)
        axes[1, j].legend(frameon=False, fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--draws", type=int, default=None)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    steps = args.steps or (500 if args.quick else 5000)
    draws = args.draws or (500 if args.quick else 2000)
    every = 5 if args.quick else 10
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results = [run(name, t, steps, draws, every) for t in (0.45, 0.499) for name in LABELS]
    total = time.perf_counter() - t0
    tag = "quick" if args.quick else "full"
    (args.out / f"toy_variance_{tag}.json").write_text(
        json.dumps({"results": results, "total_seconds": round(total, 1)})
    )
    print(
        f"{steps} Adam steps (lr {LR}); variance from {draws} estimates every {every} steps; "
        f"{total:.0f} s in all\n"
    )
    print(table(summary(results)))
    plot(results, args.out / f"toy_variance_{tag}.png")


if __name__ == "__main__":
    main()
