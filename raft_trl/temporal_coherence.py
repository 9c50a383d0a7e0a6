"""Temporal-coherence regulariser L_temp on hidden states of the loss forward pass.

The paper's L_temp = sum_t ||f_a(t) - f_v(t)||^2 + gamma ||f_t(t) - f_r(t)||^2 pulls together the
pooled states of one time window t: f_a / f_v of the audio / video tokens of t, f_t of the prompt's
transcript/cue lines stamped with a span in t, f_r of the response lines that cite a span in t (a line
listing several spans is cut into one piece per span). A squared distance alone is lowest when the
states collapse or the response copies the cues, so it is implemented contrastively (decided):

- each window's state is contrasted with the other windows of the same row (InfoNCE on cosine
  similarity, temperature ``CONTRAST_TEMPERATURE``): f_r(t) must be closer to f_t(t) than to f_t(t')
  for the row's other cue windows t'. Collapsed states score log(n windows), the chance level, not
  the minimum;
- the cue side is a stop-gradient target (the response is aligned to the cues, never the reverse),
  audio and video are contrasted both ways;
- response lines that restate the prompt (``raft_trl.echo``) are not the model's citations: they are
  left out of f_r, so pasting the cue lines into a response leaves L_temp where it was.

On a text-only backbone only the text pair exists: it aligns the model's states for the times its
own lines cite with its states for the cue lines of those times. Choices (ours): a window is
``temporal_window`` seconds; a pair needs at least two windows on the target side (nothing to
contrast otherwise); rows are averaged, a row without aligned windows counting 0; a batch without
aligned windows adds 0. ``temporal_derivative`` adds the same contrast on the differences
f(t+1) - f(t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from amuse_tasks.metrics.temporal import find_intervals
from raft_trl.echo import restates

CONTRAST_TEMPERATURE = 0.1


@dataclass
class RowWindows:
    """Token positions per time window, for one row of prompt + completion."""

    cue: dict[int, list[int]] = field(default_factory=dict)
    response: dict[int, list[int]] = field(default_factory=dict)
    audio: dict[int, list[int]] = field(default_factory=dict)
    video: dict[int, list[int]] = field(default_factory=dict)

    def aligned(self) -> bool:
        return bool(self.cue.keys() & self.response.keys() or self.audio.keys() & self.video.keys())


def _windows(t0: float, t1: float, width: float) -> range:
    """Windows a span overlaps; a span ending exactly on a boundary does not reach the next window."""
    lo, hi = sorted((t0, t1))
    first = int(math.floor(lo / width))
    return range(first, max(first, int(math.ceil(hi / width)) - 1) + 1)


def stamped_lines(text: str, width: float, skip=None) -> list[tuple[int, int, set[int]]]:
    """(start, end, windows) of every stamped piece of ``text``: a line with one span is one piece; a line
    listing several spans ("VOICE_2: 2.8-5.0, 6.0-6.5") is cut before each span after the first. Lines for
    which ``skip(line)`` is true give no piece."""
    out, pos = [], 0
    for line in text.split("\n"):
        spans = []
        if skip is not None and skip(line):
            pos += len(line) + 1
            continue
        for start, (t0, t1) in find_intervals(line):  # "12.3-15.0", "12.3 s - 15 s", "[3.0s–4.5s]", "3 to 4.5 s"
            if t1 - t0 < 3600:  # a span, not e.g. a score range or a date
                spans.append((start, set(_windows(t0, t1, width))))
        for i, (start, wins) in enumerate(spans):
            begin = 0 if i == 0 else start
            end = spans[i + 1][0] if i + 1 < len(spans) else len(line)
            out.append((pos + begin, pos + end, wins))
        pos += len(line) + 1
    return out


def text_windows(pieces: list[str], first: int, width: float, skip=None) -> dict[int, list[int]]:
    """Window -> token indices (offset by ``first``) of the stamped lines in the text the pieces spell."""
    starts, text = [], ""
    for p in pieces:
        starts.append(len(text))
        text += p
    out: dict[int, list[int]] = {}
    lines = stamped_lines(text, width, skip)
    for i, s in enumerate(starts):
        e = s + len(pieces[i])
        for ls, le, wins in lines:
            if s < le and e > ls:
                for w in wins:
                    out.setdefault(w, []).append(first + i)
    return out


def row_windows(ids: list[int], n_prompt: int, decode, width: float, *, audio_token_id: int | None = None,
                audio_seconds: float = 0.04, video_token_id: int | None = None,
                video_tokens_per_group: int | None = None, video_seconds_per_group: float | None = None) -> RowWindows:
    """Token windows of one row; ``ids`` are unpadded prompt ids then completion ids; ``decode`` maps an id list
    to per-token strings."""
    pieces = decode(ids)
    prompt_text = "".join(pieces[:n_prompt])
    rw = RowWindows(cue=text_windows(pieces[:n_prompt], 0, width),
                    response=text_windows(pieces[n_prompt:], n_prompt, width,
                                          skip=lambda line: restates(line, prompt_text)))
    if audio_token_id is not None:
        pos = [i for i, t in enumerate(ids[:n_prompt]) if t == audio_token_id]
        for j, i in enumerate(pos):
            rw.audio.setdefault(int(j * audio_seconds // width), []).append(i)
    if video_token_id is not None and video_tokens_per_group and video_seconds_per_group:
        pos = [i for i, t in enumerate(ids[:n_prompt]) if t == video_token_id]
        for k, i in enumerate(pos):
            t = (k // video_tokens_per_group) * video_seconds_per_group
            rw.video.setdefault(int(t // width), []).append(i)
    return rw


def _pooled(h: torch.Tensor, win: dict[int, list[int]]) -> dict[int, torch.Tensor]:
    return {w: h[idx].mean(0) for w, idx in win.items()}


def _differences(f: dict[int, torch.Tensor]) -> dict[int, torch.Tensor]:
    return {t: f[t + 1] - f[t] for t in f if t + 1 in f}


def _contrast(query: dict[int, torch.Tensor], target: dict[int, torch.Tensor], stop_target: bool) -> torch.Tensor | None:
    """InfoNCE of each query window against all target windows of the row (the same window is the positive);
    None when no window is shared or the target has fewer than two windows."""
    common = sorted(query.keys() & target.keys())
    if not common or len(target) < 2:
        return None
    keys = sorted(target)
    k = F.normalize(torch.stack([target[t] for t in keys]).float(), dim=-1)
    if stop_target:
        k = k.detach()
    q = F.normalize(torch.stack([query[t] for t in common]).float(), dim=-1)
    labels = torch.tensor([keys.index(t) for t in common], device=q.device)
    return F.cross_entropy(q @ k.T / CONTRAST_TEMPERATURE, labels)


def _pair_loss(query: dict[int, torch.Tensor], target: dict[int, torch.Tensor], *, stop_target: bool,
               symmetric: bool, derivative: bool) -> torch.Tensor | None:
    pairs = [(query, target)] + ([(_differences(query), _differences(target))] if derivative else [])
    terms = []
    for q, t in pairs:
        forward = _contrast(q, t, stop_target)
        if forward is not None:
            terms.append(forward)
            if symmetric and (backward := _contrast(t, q, stop_target)) is not None:
                terms.append(backward)
    return torch.stack(terms).mean() if terms else None


def temporal_loss(hidden: torch.Tensor, rows: list[RowWindows], gamma: float, derivative: bool = False
                  ) -> tuple[torch.Tensor, int]:
    """L_temp over a batch of hidden states (B, T, D); returns (loss, rows with aligned windows)."""
    losses = []
    for h, rw in zip(hidden, rows):
        parts = []
        av = _pair_loss(_pooled(h, rw.audio), _pooled(h, rw.video), stop_target=False, symmetric=True,
                        derivative=derivative)
        if av is not None:
            parts.append(av)
        tr = _pair_loss(_pooled(h, rw.response), _pooled(h, rw.cue), stop_target=True, symmetric=False,
                        derivative=derivative)
        if tr is not None:
            parts.append(gamma * tr)
        if parts:
            losses.append(torch.stack(parts).sum())
    if not losses:
        return hidden.sum() * 0.0, 0
    # mean over all rows (unaligned rows count 0), like TRL's per-row loss: sharding rows over processes
    # then leaves the DDP-averaged loss unchanged
    return torch.stack(losses).sum() / len(rows), len(losses)


def batch_row_windows(prompt_ids, prompt_mask, completion_ids, completion_mask, seq_len: int, decode, width: float, *,
                      audio_token_id: int | None, audio_seconds: float, video_token_id: int | None,
                      video_grid_thw=None, video_second_per_grid=None, merge: int = 2) -> list[RowWindows]:
    """``row_windows`` of every row, in the coordinates of the (left-padded prompt + completion) batch."""
    rows = []
    for i in range(prompt_ids.size(0)):
        pmask, cmask = prompt_mask[i].bool(), completion_mask[i].bool()
        p_ids, c_ids = prompt_ids[i][pmask].tolist(), completion_ids[i][cmask].tolist()
        per_group = per_seconds = None
        if video_grid_thw is not None:
            _, h, w = video_grid_thw[i].reshape(-1, 3)[0].tolist()
            per_group = (h * w) // (merge ** 2)
            per_seconds = float(video_second_per_grid[i].reshape(-1)[0]) if video_second_per_grid is not None else None
        rw = row_windows(p_ids + c_ids, len(p_ids), decode, width, audio_token_id=audio_token_id,
                         audio_seconds=audio_seconds, video_token_id=video_token_id,
                         video_tokens_per_group=per_group, video_seconds_per_group=per_seconds)
        # map unpadded positions back to batch positions
        pos = pmask.nonzero(as_tuple=True)[0].tolist() + (cmask.nonzero(as_tuple=True)[0] + prompt_ids.size(1)).tolist()
        for win in (rw.cue, rw.response, rw.audio, rw.video):
            for key in win:
                win[key] = [pos[j] for j in win[key] if pos[j] < seq_len]
        rows.append(rw)
    return rows
