"""lm-eval model ``amuse-omni``: Qwen2.5-Omni / Qwen3-Omni (the thinker; the talker is off) on the
raw media of the zero-shot tasks.

    lm_eval --model amuse-omni --model_args pretrained=Qwen/Qwen2.5-Omni-7B,fps=1,max_frames=32 \\
        --tasks 'amuse_*_zeroshot'

Each request carries a media reference (clip video + 16 kHz wav + window); frames and audio are
decoded lazily, one batch at a time. Model args: ``pretrained`` (Hub id or path; a full Omni
checkpoint or a thinker-only one), ``fps`` (1.0) and ``max_frames`` (32): frames are sampled at
``min(fps, max_frames / duration)`` (an even count, as the vision tower pairs frames);
``use_audio_in_video`` (true: the audio is interleaved with the frames by time, the Omni way;
false: a separate audio input), ``drop`` (``audio`` | ``video``: modality ablation),
``video_max_pixels`` (per-frame pixel cap), ``max_new_tokens`` (64), ``device``,
``device_map`` (e.g. ``auto`` for a model larger than one GPU), ``dtype``, ``system_prompt``,
``media_log`` (a JSONL file; every sample's effective fps, frame count and audio flag are also
logged at INFO).
"""

from __future__ import annotations

import json
import logging
import math

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model
from tqdm import tqdm

from amuse_tasks.models.args import as_bool
from amuse_tasks.models.distributed import RankedLM, pick_device
from amuse_tasks.tasks import parse_drop

log = logging.getLogger(__name__)


def frame_plan(duration: float, fps: float, max_frames: int) -> tuple[int, float]:
    """(frame count, effective fps) for a span: at most ``fps`` and ``max_frames``, an even count >= 2."""
    n = min(int(max_frames), max(1, math.floor(duration * fps)))
    n = max(2, n - n % 2)
    return n, n / duration if duration > 0 else float(fps)


def load_omni(pretrained: str, *, dtype=None, device_map=None):
    """The thinker of an Omni checkpoint (full checkpoints: talker disabled and freed)."""
    import torch
    from transformers import AutoConfig

    kw = {}
    if dtype:
        kw["dtype"] = dtype if dtype == "auto" else getattr(torch, dtype)
    if device_map:
        kw["device_map"] = device_map
    model_type = AutoConfig.from_pretrained(pretrained).model_type
    if model_type in ("qwen2_5_omni", "qwen3_omni_moe"):
        from transformers import Qwen2_5OmniForConditionalGeneration, Qwen3OmniMoeForConditionalGeneration

        cls = Qwen2_5OmniForConditionalGeneration if model_type == "qwen2_5_omni" else Qwen3OmniMoeForConditionalGeneration
        full = cls.from_pretrained(pretrained, **kw)
        full.disable_talker()
        return full.thinker
    if model_type == "qwen2_5_omni_thinker":
        from transformers import Qwen2_5OmniThinkerForConditionalGeneration as cls
    elif model_type == "qwen3_omni_moe_thinker":
        from transformers import Qwen3OmniMoeThinkerForConditionalGeneration as cls
    else:
        raise ValueError(f"amuse-omni: {pretrained!r} is a {model_type!r} model; expected Qwen2.5-Omni or Qwen3-Omni")
    return cls.from_pretrained(pretrained, **kw)


@register_model("amuse-omni")
class AmuseOmniLM(RankedLM, LM):
    MULTIMODAL = True

    def __init__(self, pretrained: str | None = None, fps: float = 1.0, max_frames: int = 32, use_audio_in_video=True,
                 drop: str | None = None, video_max_pixels: int | None = None, max_new_tokens: int = 64,
                 batch_size=1, device: str | None = None, device_map: str | None = None, dtype: str | None = None,
                 system_prompt: str | None = None, media_log: str | None = None, **kwargs):
        super().__init__()
        if not pretrained:
            raise ValueError("amuse-omni needs pretrained=<Qwen2.5-Omni / Qwen3-Omni Hub id or local path>")
        self._init_ranks()
        from transformers import AutoProcessor

        self.fps, self.max_frames = float(fps), int(max_frames)
        self.audio_in_video = as_bool(use_audio_in_video)
        parts = set(parse_drop(drop))
        if len(parts) == 2:
            raise ValueError(f"drop={drop!r}: drop one of audio, video (not both: nothing would be left)")
        self.use_audio, self.use_video = "audio" not in parts, "video" not in parts
        self.video_max_pixels = int(video_max_pixels) if video_max_pixels else None
        self.max_new_tokens, self.system_prompt, self.media_log = int(max_new_tokens), system_prompt, media_log
        self.batch_size = int(batch_size) if str(batch_size).isdigit() else 1
        self.processor = AutoProcessor.from_pretrained(pretrained)
        self.model = load_omni(pretrained, dtype=dtype, device_map=device_map)
        if not device_map:
            self.model.to(pick_device(device, self._world_size, self._rank))
        self.model.eval()
        self._device = str(self.model.device)
        self.name = pretrained

    @property
    def tokenizer_name(self) -> str:
        return f"amuse-omni:{self.name}"

    def _sample(self, inst) -> tuple[dict, dict]:
        """Chat content + decoded media of one request, and what was fed (for the media log)."""
        from amuse_tasks import media

        ref = None
        if len(inst.args) > 2 and isinstance(inst.args[2], dict):
            refs = inst.args[2].get("visual") or inst.args[2].get("audio") or []
            ref = refs[0] if refs else None
        if ref is None:
            raise ValueError(f"request {inst.doc.get('id')!r} has no media reference: amuse-omni runs the zero-shot tasks")
        duration = float(ref["end"]) - float(ref["start"])
        content, sample = [], {"id": inst.doc.get("id"), "clip_id": ref["clip_id"], "duration": round(duration, 3)}
        item: dict = {}
        if self.use_video:
            n, eff = frame_plan(duration, self.fps, self.max_frames)
            frames, _ = media.read_video(ref["video"], float(ref["start"]), float(ref["end"]), num_frames=n)
            item["video"] = frames * 0 if "video" in (ref.get("drop") or ()) else frames  # blanked: same frames, black
            content.append({"type": "video"})
            sample.update(fps=round(eff, 3), frames=int(len(frames)))
        else:
            sample.update(fps=0.0, frames=0)
        if self.use_audio:
            audio = media.read_audio(ref["audio"], float(ref["start"]), float(ref["end"]))
            item["audio"] = audio * 0 if "audio" in (ref.get("drop") or ()) else audio  # muted: same length, silent
            if not (self.use_video and self.audio_in_video):
                content.append({"type": "audio"})
        sample.update(dropped=list(ref.get("drop") or ()), audio=self.use_audio, audio_in_video=self.use_audio and self.use_video and self.audio_in_video)
        content.append({"type": "text", "text": inst.args[0]})
        messages = ([{"role": "system", "content": [{"type": "text", "text": self.system_prompt}]}]
                    if self.system_prompt else []) + [{"role": "user", "content": content}]
        item["text"] = self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return item, sample

    def _generate(self, items: list[dict], max_new: int) -> list[str]:
        import torch

        kwargs: dict = {"text": [i["text"] for i in items], "return_tensors": "pt", "padding": True}
        if self.use_video:
            kwargs["videos"] = [i["video"] for i in items]
            vk: dict = {"fps": items[0]["fps"], "do_sample_frames": False}
            if self.video_max_pixels:
                vk["size"] = {"shortest_edge": 28 * 28 * 4, "longest_edge": self.video_max_pixels}
            kwargs["videos_kwargs"] = vk
        if self.use_audio:
            kwargs["audio"] = [i["audio"] for i in items]
            if self.use_video and self.audio_in_video:
                kwargs.update(load_audio_from_video=True, audio_from_video_indices=list(range(len(items))))
        enc = self.processor(**kwargs).to(self.model.device)
        with torch.no_grad():
            out = self.model.generate(**enc, max_new_tokens=max_new, do_sample=False)
        return self.processor.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        out: list[str] = []
        bar = tqdm(total=len(requests), desc=f"amuse-omni[{self.name}]", disable=disable_tqdm or self._rank != 0)
        for b in range(0, len(requests), self.batch_size):
            batch = requests[b: b + self.batch_size]
            items, samples, texts = [], [], [None] * len(batch)
            for k, inst in enumerate(batch):
                try:
                    item, sample = self._sample(inst)
                    item["fps"], item["k"] = sample.get("fps") or self.fps, k
                    items.append(item)
                    samples.append(sample)
                except Exception as e:  # broken media: this sample answers nothing, the run goes on
                    log.warning("amuse-omni: sample %s skipped: %s", inst.doc.get("id"), e)
                    texts[k] = ""
            if items:
                gen = batch[0].args[1] if len(batch[0].args) > 1 and isinstance(batch[0].args[1], dict) else {}
                max_new = int(gen.get("max_gen_toks", self.max_new_tokens))
                for item, text in zip(items, self._generate(items, max_new)):
                    for stop in gen.get("until") or []:
                        if stop:
                            text = text.split(stop)[0]
                    texts[item["k"]] = text
            for sample in samples:
                log.info("amuse-omni media: %s", json.dumps(sample))
                if self.media_log:
                    with open(self.media_log, "a", encoding="utf-8") as f:
                        f.write(json.dumps(sample) + "\n")
            for inst, text in zip(batch, texts):
                self.cache_hook.add_partial("generate_until", inst.args[:2], text)
            out.extend(texts)
            bar.update(len(batch))
        bar.close()
        return out

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError("amuse-omni only generates (AMUSE zero-shot tasks are generate_until)")

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError("amuse-omni only generates (AMUSE zero-shot tasks are generate_until)")
