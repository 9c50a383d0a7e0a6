"""The agent's call protocol around a ``Toolbox``: check a call against the tool schemas, run it
under a time limit, and turn every failure into an error message (``call`` never raises), plus the
one-line summary of a call for traces and logs.
"""

from __future__ import annotations

import logging
import reprlib
import threading
import time

from amuse_tasks.media import MediaError
from amuse_tasks.tools.base import BackendUnavailable, ToolError
from amuse_tasks.tools.schemas import TOOL_SCHEMAS

log = logging.getLogger(__name__)

PARAMETERS = {s["function"]["name"]: s["function"]["parameters"] for s in TOOL_SCHEMAS}
CALL_TIMEOUT = 600.0  # seconds one call may run (model loading and whole-window perception included)


def quote(value) -> str:
    """A short repr of a bad argument for an error message: bounded length and depth, whatever the model sent."""
    return reprlib.repr(value)


class CallTimeout(Exception):
    """A call ran past ``call_timeout``."""


class Abandoned(Exception):
    """Raised in a timed-out call's worker thread when its computation finally returns: keep nothing."""


class TimedRunner:
    """Runs a function in a daemon worker thread with a time limit. A thread cannot be killed: a
    timed-out one runs on in the background; ``guard`` makes its late result raise ``Abandoned`` so
    no cache ever keeps it."""

    def __init__(self, timeout: float | None):
        self.timeout = timeout  # seconds; None waits for ever (and runs in the caller's thread)
        self.abandoned: set[threading.Thread] = set()

    def guard(self, compute):
        def run():
            value = compute()
            if threading.current_thread() in self.abandoned:
                raise Abandoned
            return value
        return run

    def run(self, name: str, fn, **kwargs):
        if self.timeout is None:
            return fn(**kwargs)
        box: dict = {}

        def work():
            try:
                box["result"] = fn(**kwargs)
            except BaseException as e:  # re-raised in the caller's thread
                box["error"] = e

        worker = threading.Thread(target=work, name=f"amuse-tool-{name}", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            self.abandoned.add(worker)
            raise CallTimeout(f"{name} timed out after {self.timeout:g} s (call_timeout)")
        if "error" in box:
            raise box["error"]
        return box["result"]


def unknown_tool(name, tools) -> str:
    """The error for a call to a tool outside ``tools`` (the ones the caller may use; none: say so, name nothing)."""
    have = f"the tools are: {', '.join(tools)}" if tools else "no tool is available in this run"
    return f"unknown tool {quote(name)}; {have}"


def check_arguments(name, arguments) -> None:
    """A ``ToolError`` naming what is wrong with the call, if anything."""
    if not isinstance(name, str) or name not in PARAMETERS:
        raise ToolError(unknown_tool(name, PARAMETERS))
    if not isinstance(arguments, dict):
        raise ToolError(f"arguments must be a JSON object, got {type(arguments).__name__}")
    params = PARAMETERS[name]
    missing = [p for p in params["required"] if p not in arguments]
    extra = [p for p in arguments if p not in params["properties"]]
    if missing or extra:
        raise ToolError(f"{name} takes {', '.join(params['properties'])}"
                        + (f"; missing: {', '.join(missing)}" if missing else "")
                        + (f"; unknown: {', '.join(str(p)[:40] for p in extra[:8])}" if extra else ""))


def run_call(toolbox, name, arguments) -> dict:
    """One tool call on ``toolbox``: ``{name, arguments, ok, result, error, seconds, summary}``; never raises."""
    t0 = time.perf_counter()
    out = {"name": name, "arguments": arguments, "ok": False, "result": None, "error": None}
    clip_id = toolbox.clip.clip_id
    try:
        check_arguments(name, arguments)
        out["result"] = toolbox.runner.run(name, getattr(toolbox, name), **arguments)
        out["ok"] = True
    except CallTimeout as e:
        log.warning("tool %s on clip %s: %s", name, clip_id, e)
        out["error"] = str(e)
    except (ToolError, BackendUnavailable) as e:
        out["error"] = str(e)
    except (MediaError, OSError) as e:  # this sample's media is missing or broken
        log.warning("tool %s on clip %s: %s", name, clip_id, e)
        out["error"] = f"{name} failed: {e}"
    except Exception as e:  # a media or backend failure is this call's error, not the run's
        log.warning("tool %s failed on clip %s: %s", name, clip_id, e, exc_info=True)
        out["error"] = f"{name} failed: {type(e).__name__}: {e}"
    out["seconds"] = round(time.perf_counter() - t0, 3)
    out["summary"] = summarize(out)
    return out


def summarize(call: dict) -> str:
    """One line per call for traces and logs."""
    if not call["ok"]:
        return f"error: {call['error']}"[:200]
    r = call["result"]
    if "utterances" in r:
        return f"{len(r['utterances'])} utterances, {len({u['voice'] for u in r['utterances']})} voices"
    if "segments" in r:
        return f"{len(r['segments'])} segments, {len({u['voice'] for u in r['segments']})} voices"
    if "faces" in r:
        return f"{len(r['faces'])} face appearances, {len({f['face'] for f in r['faces']})} faces"
    if "speech" in r:
        return f"{len(r['speech'])} speech regions"
    if "score" in r:
        return f"{r['face']} {r['start']}-{r['end']}: score {r['score']}"
    return f"{r.get('face')} crop at {r.get('t')}"
