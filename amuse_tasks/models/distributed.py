"""Rank / world size and the three collectives lm-eval's evaluator calls, for our LM classes.

lm-eval shards the docs by ``lm.rank`` / ``lm.world_size`` and gathers the results with
``all_gather``, ``gather_object`` and ``barrier`` (what its ``hf`` model gets from accelerate).
Under ``accelerate launch`` or ``torchrun`` (RANK / WORLD_SIZE set) we join the process group and
implement those; a single process needs nothing.
"""

from __future__ import annotations

import atexit
import os


class RankedLM:
    """Mixin for ``lm_eval.api.model.LM`` subclasses; call ``_init_ranks()`` in ``__init__``."""

    def _init_ranks(self) -> None:
        self._world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self._rank = int(os.environ.get("RANK", "0"))
        if self._world_size > 1:
            import torch.distributed as dist

            if not dist.is_initialized():
                dist.init_process_group("gloo")  # only small objects travel: the results of each rank
                # Left to interpreter teardown, gloo's threads can abort the process ("terminate called
                # without an active exception") after the results were already gathered.
                atexit.register(_destroy_group)

    def _dist(self):
        import torch.distributed as dist

        return dist

    def all_gather(self, tensor):
        import torch

        dist = self._dist()
        dev = "cuda" if dist.get_backend() == "nccl" else "cpu"
        t = tensor.reshape(1).to(dev) if tensor.dim() == 0 else tensor.to(dev)
        out = [torch.zeros_like(t) for _ in range(self._world_size)]
        dist.all_gather(out, t)
        return torch.cat(out).to(tensor.device)

    def gather_object(self, obj, dst: int = 0):
        if self._world_size == 1:
            return [obj]
        out = [None] * self._world_size if self._rank == dst else None
        self._dist().gather_object(obj, out, dst=dst)
        return out

    def barrier(self) -> None:
        if self._world_size > 1:
            self._dist().barrier()


def _destroy_group() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def pick_device(device: str | None, world_size: int, rank: int) -> str:
    """The device to load on: lm-eval passes ``cuda`` by default, which falls back to the CPU when
    there is no GPU; under several processes each rank takes ``cuda:LOCAL_RANK``."""
    import torch

    if device is None or device.startswith("cuda"):
        if not torch.cuda.is_available():
            if device:
                import logging

                logging.getLogger(__name__).warning("device=%s requested but no GPU is available: using the CPU", device)
            return "cpu"
        if world_size > 1 and device in (None, "cuda"):
            return f"cuda:{int(os.environ.get('LOCAL_RANK', rank))}"
        return device or "cuda"
    return device
