"""Run by tests/test_scale_torch.py: 2 gloo ranks on 127.0.0.1 (torch.multiprocessing).

``python tests/_scale_torch_worker.py PORT`` runs the DTensor and the DDP checks on both
ranks; any failed check exits non-zero with the message on stderr; rank 0 prints one
JSON line summarising what ran.
"""

from __future__ import annotations

import json
import os
import sys

import torch
import torch.distributed as dist

WORLD = 2
B, K = 8, 5


def samplers():
    import relaxarray as rx
    from relaxarray import estimators as est

    def f_cat(h):  # no plain tensor inside: DTensor refuses to mix them
        return (h[..., 1] - 2.0 * h[..., 3] + 0.5) ** 2

    return {
        "gumbel_softmax_s2": lambda x, r: rx.gumbel_softmax(x, sample_shape=2, rng=r),
        "gumbel_softmax_hard": lambda x, r: rx.gumbel_softmax(x, hard=True, rng=r),
        "gumbel_top_k_hard": lambda x, r: rx.gumbel_top_k(x, 2, hard=True, rng=r),
        "relaxed_bernoulli": lambda x, r: rx.relaxed_bernoulli(x, temperature=0.5, rng=r),
        "hard_concrete": lambda x, r: rx.hard_concrete(x, rng=r),
        "gaussian_gate": lambda x, r: rx.gaussian_gate(x, sigma=0.5, rng=r),
        "st_gumbel_softmax": lambda x, r: est.st_gumbel_softmax(x, rng=r),
        "reinforce_cat": lambda x, r: est.reinforce(
            f_cat, x, distribution="categorical", num_samples=2, rng=r
        ),
    }


def check_dtensor(rank: int) -> dict[str, int]:
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import DTensor, Shard, distribute_tensor

    from relaxarray import random

    mesh = init_device_mesh("cpu", (WORLD,))
    torch.manual_seed(0)
    x = torch.randn(B, K, dtype=torch.float64)
    rngs = {
        "portable": lambda: random.portable(3),
        "int": lambda: 12345,
        "generator": lambda: torch.Generator().manual_seed(100 + rank),
    }
    n = 0
    for name, fn in samplers().items():
        for kind, make in rngs.items():
            xd = distribute_tensor(x, mesh, [Shard(0)]).requires_grad_(True)
            y = fn(xd, make())
            tag = f"dtensor/{name}/{kind}"
            assert isinstance(y, DTensor), f"{tag}: got {type(y).__name__}"
            lead = y.ndim - x.ndim
            if y.ndim >= x.ndim:
                assert y.placements == (Shard(lead),), f"{tag}: placements {y.placements}"
            if kind == "portable":
                ref = fn(x, random.portable(3))
                assert torch.equal(y.full_tensor(), ref), f"{tag}: differs from one process"
            elif y.ndim >= x.ndim and name != "reinforce_cat":
                # the two ranks' blocks come from different noise
                local = y.to_local().detach().contiguous()
                other = [torch.empty_like(local) for _ in range(WORLD)]
                dist.all_gather(other, local)
                assert not torch.equal(other[0], other[1]), f"{tag}: ranks drew the same noise"
            loss = (y * y).sum() if y.ndim else y * y
            loss.backward()
            assert isinstance(xd.grad, DTensor), f"{tag}: gradient is {type(xd.grad).__name__}"
            assert torch.isfinite(xd.grad.full_tensor()).all(), f"{tag}: gradient not finite"
            n += 1
    return {"dtensor": n}


def ddp_train(rank: int, steps: int = 3) -> tuple[torch.Tensor, ...]:
    """A tiny DDP loop with Gumbel-softmax noise per rank; returns (params, ddp grad of
    the first step, this rank's local gradient of the first step, this rank's first
    sample for the same inputs on every rank)."""
    from torch.nn.parallel import DistributedDataParallel as DDP

    import relaxarray as rx
    from relaxarray import random

    torch.manual_seed(0)
    model = torch.nn.Linear(3, K, dtype=torch.float64)
    local_model = torch.nn.Linear(3, K, dtype=torch.float64)
    local_model.load_state_dict(model.state_dict())
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
    data = torch.randn(WORLD, 4, 3, dtype=torch.float64)[rank]
    target = torch.linspace(0, 1, K, dtype=torch.float64)
    key = random.fold_in(random.portable(9), rank)  # each rank its own stream
    first_ddp = first_local = None
    # the same logits on every rank: samples differ only if the ranks' noise differs
    probe = rx.gumbel_softmax(
        torch.zeros(4, K, dtype=torch.float64), rng=random.fold_in(key, 0)
    ).detach()
    for step in range(steps):
        k = random.fold_in(key, step)

        def loss_of(net, k=k):
            y = rx.gumbel_softmax(net(data), temperature=0.5, rng=k)
            return ((y - target) ** 2).sum()

        if step == 0:
            g = torch.autograd.grad(loss_of(local_model), local_model.weight)[0]
            first_local = g
        opt.zero_grad()
        loss_of(ddp).backward()
        if step == 0:
            first_ddp = model.weight.grad.detach().clone()
        opt.step()
    params = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    return params, first_ddp, first_local, probe


def check_ddp(rank: int) -> dict[str, int]:
    params, g_ddp, g_local, probe = ddp_train(rank)
    gathered = [torch.empty_like(g_local) for _ in range(WORLD)]
    dist.all_gather(gathered, g_local)
    mean = sum(gathered) / WORLD
    assert torch.equal(g_ddp, mean), f"ddp: gradient {float((g_ddp - mean).abs().max())} off"
    probes = [torch.empty_like(probe) for _ in range(WORLD)]
    dist.all_gather(probes, probe)
    assert not torch.equal(probes[0], probes[1]), "ddp: ranks drew the same noise"
    again = ddp_train(rank)[0]
    assert torch.equal(params, again), "ddp: a rerun is not bitwise identical"
    return {"ddp": 1}


def run(rank: int, port: int) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    try:
        summary = {**check_dtensor(rank), **check_ddp(rank)}
        if rank == 0:
            print(json.dumps(summary), flush=True)
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    torch.multiprocessing.spawn(run, args=(int(sys.argv[1]),), nprocs=WORLD)
