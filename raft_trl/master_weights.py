"""fp32 master weights for the bf16/fp16 parameters an optimizer updates.

An AdamW step of 1e-5 is below half a bf16 ulp for most weights of size ~0.02, so a bf16 theta_cross
updated in place barely moves. Here the optimizer steps fp32 copies ("masters") instead: before each
step the model's low-precision gradients are copied into the masters' ``.grad``, after it the masters
are rounded back into the model's parameters. The forward and backward stay in the model's dtype; only
the update is fp32. The masters travel in the optimizer's state dict, so a resumed run continues from
them rather than from the rounded weights. DeepSpeed and FSDP keep their own fp32 masters: do not
combine.
"""

from __future__ import annotations

import torch

LOW_PRECISION = (torch.bfloat16, torch.float16)
STATE_KEY = "fp32_master"


class MasterWeights:
    """Installs fp32 masters in ``optimizer`` for every low-precision parameter it holds (in place; the
    optimizer's state must still be empty). ``master_of(param)`` is the fp32 copy being trained."""

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self.pairs: list[tuple[torch.nn.Parameter, torch.nn.Parameter]] = []
        for group in optimizer.param_groups:
            for i, param in enumerate(group["params"]):
                if param.dtype in LOW_PRECISION:
                    master = torch.nn.Parameter(param.detach().float().clone())
                    group["params"][i] = master
                    self.pairs.append((param, master))
        self._master = {id(p): m for p, m in self.pairs}
        if self.pairs:
            optimizer.register_step_pre_hook(self._grads_to_masters)
            optimizer.register_step_post_hook(self._masters_to_model)
            optimizer.register_state_dict_pre_hook(self._keep_masters)
            optimizer.register_load_state_dict_post_hook(self._restore_masters)

    def master_of(self, param: torch.Tensor) -> torch.Tensor:
        """The fp32 weight the optimizer trains for ``param`` (``param`` itself when it has no master)."""
        return self._master.get(id(param), param)

    def _grads_to_masters(self, optimizer, args, kwargs) -> None:
        for param, master in self.pairs:
            master.grad = None if param.grad is None else param.grad.detach().float()

    def _masters_to_model(self, optimizer, args, kwargs) -> None:
        with torch.no_grad():
            for param, master in self.pairs:
                param.copy_(master)
                master.grad = None

    def _keep_masters(self, optimizer) -> None:
        for _, master in self.pairs:
            if master in optimizer.state:  # stepped at least once; an empty state must stay empty for the step
                optimizer.state[master][STATE_KEY] = master.detach()

    def _restore_masters(self, optimizer) -> None:
        with torch.no_grad():
            for param, master in self.pairs:
                saved = optimizer.state[master].pop(STATE_KEY, None) if master in optimizer.state else None
                if saved is not None:
                    master.copy_(saved)
                    param.copy_(master)
