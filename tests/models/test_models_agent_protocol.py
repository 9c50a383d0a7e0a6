"""The agentic protocol: transcript + trace format, bad tool calls answered with errors, the step
limit, modality ablations, and the chat backbones (tiny random HF model, a local fake endpoint)."""

from __future__ import annotations


import pytest
from fake_chat_endpoint import fake_chat_endpoint

from amuse_tasks.metrics.tool_use import parse_transcript, tool_metrics
from amuse_tasks.models.agent import disabled_tools
from amuse_tasks.tools.call_forms import parse_turn
from amuse_tasks.models.chat_backbones import Reply
from amuse_tasks.models.chat_policy import ChatPolicy
from amuse_tasks.models.episode import Episode
from amuse_tasks.tools import Toolbox
from amuse_tasks.tools.schemas import TOOL_SCHEMAS


class ScriptedChat:
    """Test double of a chat backbone: returns the scripted turns in order, records what it saw."""

    name = "scripted"

    def __init__(self, turns):
        self.turns, self.seen = list(turns), []

    def __call__(self, messages, tools):
        self.seen.append([dict(m) for m in messages])
        return Reply(self.turns.pop(0) if self.turns else "<answer>Answer: A</answer>")


def _episode(rec, root, max_steps=8, disabled=None, offered=None):
    return Episode(Toolbox.for_record(rec, root, backends="oracle", cache=None), max_steps, disabled, offered)


def test_parse_calls_survives_hostile_blocks():
    deep = "[" * 100000 + "]" * 100000
    calls = parse_turn(f'<tool_call>{deep}</tool_call><tool_call>not json</tool_call><tool_call>[1, 2]</tool_call>'
                       '<tool_call>{"name": "diarize", "arguments": "{\\"start\\": 0, \\"end\\": 2}"}</tool_call>').calls
    assert [type(c) for c in calls] == [str, str, str, tuple]
    assert "not valid JSON" in calls[1] and "JSON object" in calls[2]
    assert calls[3] == ("diarize", {"start": 0, "end": 2}, "hermes")


CALL = '{"name": "diarize", "arguments": {"start": 0, "end": 2}}'


@pytest.mark.parametrize("text, form", [
    (f"<plan>p</plan><tool_call>\n{CALL}\n</tool_call>", "hermes"),
    (CALL, "bare_json"),
    ('Let me look. {"name": "diarize", "parameters": {"start": 0, "end": 2}}', "bare_json"),
    (f"Here:\n```json\n{CALL}\n```", "fenced_json"),
    (f"<tool_response>{CALL}</tool_response>", "tool_response"),
    ('<|python_tag|>{"name": "diarize", "parameters": {"start": 0, "end": 2}}<|eom_id|>', "python_tag"),
    (f"[TOOL_CALLS][{CALL}]</s>", "mistral"),
])
def test_call_forms_real_models_write_are_recovered_and_named(text, form):
    assert parse_turn(text).calls == [("diarize", {"start": 0, "end": 2}, form)]


def test_arguments_written_in_the_schema_shape_are_unwrapped_and_named():
    wrapped = '{"name": "diarize", "arguments": {"type": "object", "properties": {"start": 0, "end": 2}}}'
    assert parse_turn(wrapped).calls == [("diarize", {"start": 0, "end": 2}, "bare_json+schema_args")]
    schema_copy = ('{"name": "diarize", "arguments": {"type": "object", "properties": {"start": {"type": "number"}, '
                   '"end": {"type": "number"}}, "required": ["start", "end"]}}')
    name, args, form = parse_turn(schema_copy).calls[0]  # no values to keep: the tool names what is missing
    assert form == "bare_json" and set(args) == {"type", "properties", "required"}


def test_the_system_prompt_lists_signatures_and_an_example_call_that_runs(synth_root, model_records):
    from amuse_tasks.prompts import agent_system_prompt

    text = agent_system_prompt()
    assert "- lip_sync(face_id: string, start: number, end: number): " in text
    assert '"properties"' not in text and '"type"' not in text  # no schema for a small model to copy
    example = text.split("Example call: ")[1]
    (name, args, form), = parse_turn(example).calls
    assert form == "hermes" and _episode(model_records[0], synth_root).round([(name, args)])[0]["ok"]


@pytest.mark.parametrize("text", [
    "Answer: B", "<answer>B</answer>", '```json\n{"speech": [1, 2]}\n```',  # data in a code block is no call
    '<tool_response>{"segments": []}</tool_response>', 'The tool says {"name": 3}.'])
def test_text_that_is_no_call_stays_text(text):
    turn = parse_turn(text)
    assert turn.calls == [] and turn.text == text


def test_lenient_forms_are_counted_in_the_trace_and_no_hedge_gets_through(synth_root, model_records):
    from amuse_tasks.metrics.choice import extract_lenient

    rec = next(r for r in model_records if r["task"] == "avsa")
    chat = ScriptedChat(['{"name": "diarize", "arguments": {"start": 0, "end": 2}}',
                         "<reflect>r</reflect><answer>Answer: A or B</answer>"])
    ep = _episode(rec, synth_root)
    ChatPolicy(chat).run(rec, "q", ep, TOOL_SCHEMAS)
    trace = parse_transcript(ep.transcript()).trace
    assert [c["call_format"] for c in trace["calls"]] == ["bare_json"] and trace["calls"][0]["ok"]
    assert parse_transcript(ep.transcript()).answer == "Answer: A or B"
    assert extract_lenient(parse_transcript(ep.transcript()).answer, 3) is None  # a hedge names no answer


def test_a_turn_that_calls_and_answers_runs_the_call_first(synth_root, model_records):
    rec = next(r for r in model_records if r["task"] == "avsa")
    chat = ScriptedChat([f"<plan>p</plan><tool_call>{CALL}</tool_call><answer>Answer: C</answer>",
                         "<reflect>seen</reflect><answer>Answer: A</answer>"])
    ep = _episode(rec, synth_root)
    ChatPolicy(chat).run(rec, "q", ep, TOOL_SCHEMAS)
    text = ep.transcript()
    assert len(chat.seen) == 2 and "Answer: C" not in text  # the answer written before the result is void
    assert text.index("<tool_response>") < text.index("<answer>Answer: A</answer>")


def test_a_degenerate_span_error_names_the_valid_range(synth_root, model_records):
    rec = model_records[0]
    ep = _episode(rec, synth_root)
    out = ep.round([("diarize", {"start": 3, "end": 3})])[0]
    dur = rec["end"] - rec["start"]
    assert not out["ok"] and "empty span" in out["error"] and f"0 to {dur:.2f} s" in out["error"]
    assert f"start=3, end={dur:.2f} to the end of the clip" in out["error"]  # the model's own start, kept


def test_a_turn_without_call_or_answer_gets_one_reminder(synth_root, model_records):
    rec = next(r for r in model_records if r["task"] == "avsa")
    chat = ScriptedChat([f"<tool_call>{CALL}</tool_call>", "<reflect>the voices differ</reflect>",
                         "<answer>Answer: B</answer>"])
    ep = _episode(rec, synth_root)
    ChatPolicy(chat).run(rec, "q", ep, TOOL_SCHEMAS)
    parsed = parse_transcript(ep.transcript())
    assert parsed.answer == "Answer: B" and parsed.trace["reminders"] == 1 and parsed.trace["steps"] == 1
    assert "neither a tool call nor an <answer>" in chat.seen[2][-1]["content"]
    silent = ScriptedChat(['{"answer": "C"}', "still no tags"])
    ep = _episode(rec, synth_root)
    ChatPolicy(silent).run(rec, "q", ep, TOOL_SCHEMAS)
    parsed = parse_transcript(ep.transcript())
    assert len(silent.seen) == 2 and parsed.trace["reminders"] == 1 and parsed.answer is None  # one reminder only


def test_bad_calls_get_error_responses_and_the_run_goes_on(synth_root, model_records):
    rec = next(r for r in model_records if r["task"] == "avsa")
    chat = ScriptedChat([
        '<plan>look</plan><tool_call>{"name": "teleport", "arguments": {}}</tool_call>',
        '<tool_call>{"name": "diarize", "arguments": {"start": 0, "end": 99999}}</tool_call>',
        '<tool_call>{broken</tool_call>',
        '<tool_call>{"name": "diarize", "arguments": {"start": 0, "end": 2}}</tool_call>',
        "<reflect>done</reflect><answer>Answer: B",
    ])
    ep = _episode(rec, synth_root)
    ChatPolicy(chat).run(rec, "question", ep, TOOL_SCHEMAS)
    text = ep.transcript()
    assert text.startswith("<plan>look</plan><tool_call>")
    assert text.count("<tool_response>") == 4 and "unknown tool 'teleport'" in text and "time outside the clip" in text
    assert "<answer>Answer: B</answer><trace>" in text
    # the model saw each error as a tool response
    assert "unknown tool 'teleport'" in chat.seen[1][-1]["content"]
    trace = parse_transcript(text).trace
    assert trace["steps"] == 4 and trace["limit_reached"] is False
    assert [c["ok"] for c in trace["calls"]] == [False, False, False, True]
    assert all(set(c) == {"name", "arguments", "ok", "error", "seconds", "summary", "call_format"}
               for c in trace["calls"])
    m = tool_metrics(text, {"diarize"})
    assert m["invalid_call_rate"] == 0.75 and m["termination"] == 1.0


def test_step_limit_is_logged_and_the_model_is_asked_to_answer(synth_root, model_records):
    rec = model_records[0]
    call = '<tool_call>{"name": "diarize", "arguments": {"start": 0, "end": 1}}</tool_call>'
    chat = ScriptedChat([call] * 4 + ["<reflect>out of budget</reflect><answer>Answer: C</answer>"])
    ep = _episode(rec, synth_root, max_steps=3)
    ChatPolicy(chat).run(rec, "q", ep, TOOL_SCHEMAS)
    trace = parse_transcript(ep.transcript()).trace
    assert trace["steps"] == 3 and trace["max_steps"] == 3 and trace["limit_reached"] is True
    assert "used all 3 tool rounds" in chat.seen[-1][-1]["content"]
    assert tool_metrics(ep.transcript(), {"diarize"})["termination"] == 0.5


def test_dropped_modality_tools_refuse(synth_root, model_records):
    rec = model_records[0]
    ep = _episode(rec, synth_root, disabled=disabled_tools("audio"))
    recs = ep.round([("transcribe", {"start": 0, "end": 1}), ("track_faces", {"start": 0, "end": 1})])
    assert not recs[0]["ok"] and "audio removed (ablation)" in recs[0]["error"]
    assert recs[1]["ok"]
    assert set(disabled_tools("audio+video")) == {"transcribe", "diarize", "lip_sync", "vad", "track_faces", "face_crop"}
    with pytest.raises(ValueError, match="unknown modality"):
        disabled_tools("smell")


def test_tools_not_offered_never_run_and_are_not_named(synth_root, model_records):
    """The no-tools ablation offers nothing: an invented tool's error must not teach the real names, and a tool
    left out of the offer (face_crop by default) is refused like an unknown one."""
    rec = model_records[0]
    ep = _episode(rec, synth_root, disabled=disabled_tools("audio+video"), offered=[])
    made_up, real = ep.round([("Visualize the clip", {"time": 1.0}), ("diarize", {"start": 0, "end": 1})])
    assert not made_up["ok"] and made_up["error"] == "unknown tool 'Visualize the clip'; no tool is available in this run"
    assert not real["ok"] and "video removed (ablation)" not in real["error"] and "audio removed (ablation)" in real["error"]
    assert not any(t in made_up["error"] for t in ("transcribe", "diarize", "track_faces", "lip_sync", "vad"))
    ep = _episode(rec, synth_root, offered=["diarize", "transcribe"])
    crop, ok = ep.round([("face_crop", {"face": "FACE_A", "time": 1.0}), ("diarize", {"start": 0, "end": 1})])
    assert not crop["ok"] and crop["error"] == "unknown tool 'face_crop'; the tools are: diarize, transcribe"
    assert ok["ok"]

    # a hostile endpoint's name that is no string fails that call, not the sample
    for offered in (None, ["diarize"]):
        ep = _episode(rec, synth_root, disabled=disabled_tools("audio"), offered=offered)
        (odd,) = ep.round([(["diarize"], {"start": 0, "end": 1})])
        assert not odd["ok"] and odd["error"].startswith("unknown tool ['diarize']")


def _tiny_chat_model(folder):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(["<tool_call> diarize answer plan"] * 10, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<unk>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    t = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<unk>", unk_token="<unk>")
    t.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                       "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    Qwen2ForCausalLM(Qwen2Config(vocab_size=len(t), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=1)).save_pretrained(folder)
    t.save_pretrained(folder)
    return folder


def test_hf_chat_backbone_runs_the_protocol_without_crashing(tmp_path, synth_root, model_records):
    from amuse_tasks.models.chat_backbones import HFChat

    chat = HFChat(str(_tiny_chat_model(tmp_path / "tiny")), max_new_tokens=8)
    rec = model_records[0]
    ep = _episode(rec, synth_root, max_steps=2)
    ChatPolicy(chat).run(rec, "Clip x. Who speaks?", ep, TOOL_SCHEMAS)
    text = ep.transcript()
    assert "<trace>" in text and parse_transcript(text).trace["max_steps"] == 2  # random weights: any text, no crash


def _tool_call_then_answer(body: dict) -> dict:
    if len(body["messages"]) == 2:  # system + user: the first turn
        return {"content": "<plan>who talks</plan>", "tool_calls": [
            {"type": "function", "function": {"name": "diarize", "arguments": '{"start": 0, "end": 2}'}}]}
    return {"content": "<reflect>ok</reflect><answer>Answer: A"}


def test_openai_compatible_endpoint_with_native_tool_calls(synth_root, model_records):
    from amuse_tasks.models.chat_backbones import OpenAIChat

    with fake_chat_endpoint(_tool_call_then_answer) as (base_url, bodies):
        chat = OpenAIChat(base_url, "fake-model")
        rec = model_records[0]
        ep = _episode(rec, synth_root)
        ChatPolicy(chat).run(rec, "q", ep, TOOL_SCHEMAS)
    text = ep.transcript()
    assert "<plan>who talks</plan><tool_call>" in text and "<answer>Answer: A</answer>" in text
    assert parse_transcript(text).calls == [("diarize", True)]
    first = bodies[0]
    assert first["model"] == "fake-model" and first["tools"][0]["function"]["name"] == "transcribe"
    assistant, result = bodies[1]["messages"][-2:]  # the model's own protocol: tool_calls, then a tool message
    assert assistant["role"] == "assistant" and assistant["tool_calls"][0]["function"] == {
        "name": "diarize", "arguments": '{"start": 0, "end": 2}'}
    assert result["role"] == "tool" and result["tool_call_id"] == assistant["tool_calls"][0]["id"]
    assert '"segments"' in result["content"]
    assert "Available tools" not in first["messages"][0]["content"]  # one tool list: the endpoint's
    assert parse_transcript(text).trace["calls"][0]["call_format"] == "native"


def test_native_tools_choice_is_parsed_and_a_template_without_tools_cannot_be_forced(tmp_path):
    from amuse_tasks.models.args import as_choice
    from amuse_tasks.models.chat_backbones import HFChat

    assert [as_choice("native_tools", v) for v in ("auto", "TRUE", "false", True, False)] == [None, True, False, True, False]
    with pytest.raises(ValueError, match="native_tools='maybe'"):
        as_choice("native_tools", "maybe")
    folder = str(_tiny_chat_model(tmp_path / "tiny"))  # its template ignores tools=
    assert HFChat(folder, native_tools="auto").native_tools is False
    with pytest.raises(ValueError, match="ignores tools="):
        HFChat(folder, native_tools="true")
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    tok.chat_template = "{% if tools %}{{ tools | tojson }}{% endif %}" + tok.chat_template  # now it renders them
    tok.save_pretrained(folder)
    assert HFChat(folder, native_tools="auto").native_tools is True
    assert HFChat(folder).native_tools is False  # the default lists the tools in the system prompt


def _text_call_then_answer(body: dict) -> dict:
    if len(body["messages"]) == 2:
        return {"content": '<plan>who talks</plan><tool_call>{"name": "diarize", "arguments": {"start": 0, "end": 2}}'
                           '</tool_call>'}
    return {"content": "<reflect>ok</reflect><answer>Answer: A"}


def test_endpoint_with_tools_in_the_system_prompt(synth_root, model_records):
    """native_tools=false: no tools= in the request, the system prompt lists them, the call is read from
    the text and its result goes back as a <tool_response> user turn."""
    from amuse_tasks.models.chat_backbones import OpenAIChat

    with fake_chat_endpoint(_text_call_then_answer) as (base_url, bodies):
        chat = OpenAIChat(base_url, "fake-model", native_tools="false")
        rec = model_records[0]
        ep = _episode(rec, synth_root)
        ChatPolicy(chat).run(rec, "q", ep, TOOL_SCHEMAS)
    assert "tools" not in bodies[0] and "Available tools" in bodies[0]["messages"][0]["content"]
    last = bodies[1]["messages"][-1]
    assert last["role"] == "user" and last["content"].startswith("<tool_response>") and '"segments"' in last["content"]
    trace = parse_transcript(ep.transcript()).trace
    assert [(c["name"], c["ok"], c["call_format"]) for c in trace["calls"]] == [("diarize", True, "hermes")]


def test_a_slow_endpoint_fails_the_sample_within_the_request_timeout(synth_root, model_records):
    """amuse-agent's ``timeout`` bounds one endpoint request; the sample that runs past it is scored as
    unanswered with the error in its trace, and the run goes on."""
    import time

    from amuse_tasks.models.agent import AmuseAgentLM

    def slow(body):
        time.sleep(1.0)
        return {"content": "<answer>Answer: A"}

    class Request:  # what generate_until reads of an lm-eval Instance
        def __init__(self, doc):
            self.doc, self.args = doc, ("q", {})

    with fake_chat_endpoint(slow) as (base_url, _):
        lm = AmuseAgentLM(base_url=base_url, model="slow", timeout="0.2")
        start = time.perf_counter()
        [text] = lm.generate_until([Request(model_records[0])], disable_tqdm=True)
        assert time.perf_counter() - start < 1.0
        assert "timed out" in parse_transcript(text).trace["error"]
        assert AmuseAgentLM(base_url=base_url, model="slow").policy.chat.timeout == 120.0
