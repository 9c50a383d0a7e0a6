"""lm-eval model ``amuse-agent``: the agentic protocol of AMUSE around a backbone.

    lm_eval --model amuse-agent --model_args policy=baseline,tools=offline --tasks 'amuse_*_agentic'
    lm_eval --model amuse-agent --model_args pretrained=smollm2-offline,tools=offline ...
    lm_eval --model amuse-agent --model_args base_url=http://localhost:8000/v1,model=NAME ...

Model args: ``policy`` (``chat`` | ``baseline``), ``pretrained`` / ``gguf_file`` / ``dtype`` /
``device_map`` (HF chat backbone), ``temperature`` (0: greedy, the default; > 0 samples, e.g. for pass^k), ``base_url`` / ``model`` / ``api_key_env`` / ``timeout`` (OpenAI-compatible
endpoint; ``timeout``: seconds one request may take, 120; a model served on CPU may need more), ``tools`` (backend spec, ``;`` between overrides, e.g. ``offline;transcribe=openai-whisper:tiny.en``; default
``$AMUSE_CUES``, else ``offline``: the guided tasks' precedence),
``native_tools`` (``false``, an HF backbone's default: the tools listed in the system prompt, calls read from the text;
``auto``: the chat template's ``tools=`` when it renders them, an endpoint's default; ``true``), ``tool_cache`` (directory), ``call_timeout`` (seconds one tool call may run, 600; ``none``: no limit), ``max_steps`` (8), ``max_new_tokens`` (per turn, 384), ``face_crop``
(offer the image tool, default false; the model gets the crop's PNG path, not the pixels), ``drop`` (modality ablation: ``audio``, ``video`` or
``audio+video``: the tools of a removed modality are not offered and refuse calls).
Each response is the full transcript with its ``<trace>`` JSON (in ``--log_samples`` output).
"""

from __future__ import annotations

import json
import logging

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model
from tqdm import tqdm

from amuse_tasks.models.args import as_bool
from amuse_tasks.models.distributed import RankedLM, pick_device
from amuse_tasks.models.episode import Episode
from amuse_tasks.schema import media_reference
from amuse_tasks.tasks import DROPPED_TOOLS, parse_drop
from amuse_tasks.tools.calls import CALL_TIMEOUT

log = logging.getLogger(__name__)



def request_media(instance) -> dict:
    """The media reference of an agentic request (third request arg), else built from the doc."""
    if len(instance.args) > 2 and isinstance(instance.args[2], dict):
        for key in ("audio", "visual"):
            refs = instance.args[2].get(key) or []
            if refs and isinstance(refs[0], dict):
                return refs[0]
    return media_reference(instance.doc)


def disabled_tools(drop: str | None) -> dict[str, str]:
    """Tool name -> reason, for the modality ablation ``drop`` (``amuse_tasks.tasks.DROPPED_TOOLS``)."""
    return {t: f"{m} removed (ablation)" for m in parse_drop(drop) for t in DROPPED_TOOLS[m]}


@register_model("amuse-agent")
class AmuseAgentLM(RankedLM, LM):
    MULTIMODAL = True  # agentic tasks carry media references (doc_to_image/doc_to_audio)

    def __init__(self, policy: str | None = None, pretrained: str | None = None, gguf_file: str | None = None,
                 base_url: str | None = None, model: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 timeout=None,
                 tools: str | None = None, tool_cache: str | None = None, call_timeout=CALL_TIMEOUT, max_steps: int = 8,
                 max_new_tokens: int = 384, face_crop=False, drop: str | None = None, device: str | None = None,
                 dtype: str | None = None, device_map: str | None = None, temperature: float = 0.0, native_tools=None,
                 batch_size=1, **kwargs):
        super().__init__()
        self._init_ranks()
        policy = policy or ("chat" if (pretrained or base_url) else None)
        if policy not in ("chat", "baseline"):
            raise ValueError("amuse-agent needs policy=baseline, or a backbone: pretrained=<HF id/path or "
                             "smollm2-offline> or base_url=<OpenAI-compatible endpoint>,model=<name>")
        from amuse_tasks.cues import cue_source

        # the guided tasks' precedence and grammar (given > $AMUSE_CUES > offline), parsed once (a bad spec fails
        # before any request); every sample's toolbox takes the parsed choice
        source = cue_source(tools)
        if source.backends is None:
            raise ValueError(f"amuse-agent: tools={source.name!r} names no tool backends (e.g. offline, fast, oracle, "
                             "offline;transcribe=openai-whisper:tiny.en); drop=audio|video removes tools")
        if source.reads_labels:
            log.warning("amuse-agent: tools %r answer from the ground truth (an oracle backend): an upper bound, "
                        "not a model's score", source.name)
        self.tools, self.tool_cache, self.max_steps = source.backends, tool_cache, int(max_steps)
        self.call_timeout = None if str(call_timeout).lower() in ("none", "") else float(call_timeout)
        self.disabled = disabled_tools(drop)
        from amuse_tasks.tools.schemas import offered_tools, schemas_for

        self.offered = offered_tools(self.disabled, as_bool(face_crop))
        self.schemas = schemas_for(self.offered)
        if policy == "baseline":
            from amuse_tasks.models.baseline_policy import BaselinePolicy

            self.policy, self.backbone_name = BaselinePolicy(), "baseline"
        else:
            from amuse_tasks.models.chat_backbones import HFChat, OpenAIChat
            from amuse_tasks.models.chat_policy import ChatPolicy

            protocol = {} if native_tools is None else {"native_tools": native_tools}  # else the backbone's default

            if base_url:
                if not model:
                    raise ValueError("base_url needs model=<name served by the endpoint>")
                wait = {} if timeout is None else {"timeout": float(timeout)}  # else the backbone's default
                chat = OpenAIChat(base_url, model, api_key_env=api_key_env, max_new_tokens=int(max_new_tokens),
                                  temperature=float(temperature), **protocol, **wait)
            else:
                dev = pick_device(device, self._world_size, self._rank)
                chat = HFChat(pretrained, gguf_file=gguf_file, device=dev, dtype=dtype,
                              max_new_tokens=int(max_new_tokens), device_map=device_map, temperature=float(temperature),
                              **protocol)
            self.policy, self.backbone_name = ChatPolicy(chat), chat.name
        self._device = "cpu"

    @property
    def tokenizer_name(self) -> str:
        return f"amuse-agent:{self.backbone_name}"

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        from amuse_tasks.tools.clip import Clip
        from amuse_tasks.tools.toolbox import Toolbox

        out = []
        for inst in tqdm(requests, desc=f"amuse-agent[{self.backbone_name}]", disable=disable_tqdm or self._rank != 0):
            doc, prompt = inst.doc, inst.args[0]
            try:
                ref = request_media(inst)
                toolbox = Toolbox(Clip.from_reference(ref, record=doc), self.tools, self.tool_cache,
                                  call_timeout=self.call_timeout)
                disabled, offered, schemas = self.disabled, self.offered, self.schemas
                if ref.get("drop"):  # the modality ablation of the task (--metadata drop), on top of the model's
                    disabled = {**self.disabled, **disabled_tools(ref["drop"])}
                    offered = [t for t in self.offered if t not in disabled]
                    schemas = [s for s in self.schemas if s["function"]["name"] in offered]
                ep = Episode(toolbox, self.max_steps, disabled, offered)
                self.policy.run(doc, prompt, ep, schemas)
                text = ep.transcript()
            except Exception as e:  # one broken sample is logged and scored as unanswered, never fatal
                log.warning("amuse-agent: sample %s failed: %s", doc.get("id"), e, exc_info=True)
                trace = {"steps": 0, "max_steps": self.max_steps, "limit_reached": False, "calls": [], "seconds": 0.0,
                         "error": f"{type(e).__name__}: {e}"}
                text = f"<reflect>the agent failed: {type(e).__name__}</reflect><trace>{json.dumps(trace)}</trace>"
            out.append(text)
            self.cache_hook.add_partial("generate_until", inst.args[:2], text)
        return out

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError("amuse-agent only generates (AMUSE agentic tasks are generate_until)")

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError("amuse-agent only generates (AMUSE agentic tasks are generate_until)")

