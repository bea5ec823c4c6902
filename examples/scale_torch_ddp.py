"""Data-parallel training of the discrete VAE with torch DistributedDataParallel.

The model and the loss are those of ``discrete_vae_torch.py`` (the loss calls
relaxarray's estimators); each of the ``--ranks`` processes (gloo on 127.0.0.1, CPU)
takes its share of every batch and draws its noise from its own portable stream,
``fold_in(fold_in(key, rank), step)``, so the ranks never share noise and a rerun is
bitwise identical. DDP all-reduces the gradients::

    python examples/scale_torch_ddp.py --estimator disarm
    python examples/scale_torch_ddp.py --quick           # CI: 5 epochs

Rank 0 prints the held-out negative ELBO per epoch; then the check of the first step
(the DDP gradient against the mean of the ranks' local gradients), whether the ranks drew
different noise, whether their parameters are identical after training, and the step
time with the ranks against one process on the whole batch.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _vae_common import LATENTS, load_digits, parse_args
from discrete_vae_torch import DiscreteVAE

from relaxarray import random


def gather(t: torch.Tensor) -> list[torch.Tensor]:
    out = [torch.empty_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(out, t.contiguous())
    return out


def flat_grad(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()])


def step_time(model: torch.nn.Module, x: torch.Tensor, estimator: str, key: object) -> float:
    """Median seconds of forward + backward (no optimiser step)."""
    times = []
    for _ in range(10):
        t = time.perf_counter()
        model(x, estimator, key).backward()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def run(rank: int, world: int, port: int, args: object) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(1)
    try:
        train(rank, world, args)
    finally:
        dist.destroy_process_group()


def train(rank: int, world: int, args: object) -> None:
    from torch.nn.parallel import DistributedDataParallel as DDP

    torch.manual_seed(args.seed)  # the same initial parameters on every rank
    model = DiscreteVAE()
    local = DiscreteVAE()  # a copy without DDP, for the gradient check
    local.load_state_dict(model.state_dict())
    ddp = DDP(model)
    opt = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    train_np, test_np = load_digits(args.seed)
    data = torch.as_tensor(train_np)
    test = torch.as_tensor(test_np)
    key = random.fold_in(random.portable(args.seed), rank)  # this rank's stream
    batch = args.batch_size - args.batch_size % world
    perm_rng = torch.Generator().manual_seed(args.seed)  # the same order on every rank

    def evaluate() -> float:
        with torch.no_grad():
            return float(model(test, "reinforce", random.portable(2), num_samples=16))

    if rank == 0:
        print(
            f"discrete VAE (torch DDP), {LATENTS} Bernoulli latents, estimator "
            f"{args.estimator}, {world} gloo ranks, {batch // world} rows per rank"
        )
        print(f"epoch 0: held-out -ELBO {evaluate():.3f}", flush=True)
    step = 0
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(len(data), generator=perm_rng)
        for i in range(0, len(data) - batch + 1, batch):
            x = data[perm[i : i + batch]][rank::world]  # this rank's share of the batch
            k = random.fold_in(key, step)
            opt.zero_grad()
            ddp(x, args.estimator, k).backward()
            if step == 0:
                check_first_step(rank, world, model, local, x, args.estimator, k)
            opt.step()
            step += 1
        if rank == 0:
            print(f"epoch {epoch}: held-out -ELBO {evaluate():.3f}", flush=True)
    wall = time.perf_counter() - start
    params = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    same = all(torch.equal(params, p) for p in gather(params))
    x = data[:batch]
    t_ranks = step_time(ddp, x[rank::world], args.estimator, key)
    t_one = step_time(local, x, args.estimator, key)
    if rank == 0:
        print(f"trained in {wall:.1f} s")
        print(f"parameters identical on all ranks after training: {same}")
        print(
            f"step time (forward + backward): {world} ranks {t_ranks * 1e3:.2f} ms, "
            f"1 process on the whole batch {t_one * 1e3:.2f} ms"
        )


def check_first_step(rank, world, model, local, x, estimator, k) -> None:
    """DDP's gradient is the mean of the ranks' local gradients; the ranks' noise differs."""
    local.zero_grad()
    local(x, estimator, k).backward()
    mean = sum(gather(flat_grad(local))) / world
    diff = float((flat_grad(model) - mean).abs().max())
    probe = random.uniform(k, (4, LATENTS), like=torch.zeros(1))  # this rank's noise
    noises = gather(probe)
    differ = all(not torch.equal(noises[0], n) for n in noises[1:])
    if rank == 0:
        print(
            f"first step: DDP gradient vs mean of the ranks' local gradients: "
            f"largest difference {diff:.2e}"
        )
        print(f"ranks drew different noise: {differ}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    import argparse

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--ranks", type=int, default=2)
    known, rest = pre.parse_known_args()
    sys.argv = [sys.argv[0], *rest]
    args = parse_args(__doc__.splitlines()[0])
    if args.quick:
        args.epochs = 5
    torch.multiprocessing.spawn(run, args=(known.ranks, free_port(), args), nprocs=known.ranks)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
