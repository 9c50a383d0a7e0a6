"""Media I/O on the generated clips, and the one error every broken file gives."""

from __future__ import annotations


import numpy as np
import pytest
import soundfile as sf

from amuse_tasks.media import MediaError, probe, read_audio, read_video
from amuse_tasks.schema import load_records


@pytest.fixture(scope="module")
def clips(synth_root):
    recs = load_records(synth_root).records
    return {r["clip_id"]: r for r in recs if r["task"] == "avds"}


def test_generated_clips_decode(synth_root, clips):
    for rec in clips.values():
        mp4, wav = synth_root / rec["video"], synth_root / rec["audio"]
        v, w = probe(mp4), probe(wav)
        assert v.has_video and v.has_audio, mp4
        assert v.fps == 12 and (v.width, v.height) == (384, 288)
        assert v.sample_rate == 16000 and w.sample_rate == 16000
        assert 10 <= w.duration <= 50
        assert abs(v.duration - rec["end"]) < 0.1 and abs(w.duration - rec["end"]) < 0.01
        last = rec["segments"][-1]["end"]
        assert last <= w.duration


def test_read_video_sampling(synth_root, clips):
    rec = next(iter(clips.values()))
    path = synth_root / rec["video"]
    frames, times = read_video(path, 2.0, 6.0, fps=4)
    assert frames.shape == (16, 288, 384, 3) and frames.dtype == np.uint8
    np.testing.assert_allclose(times, np.arange(2.0, 6.0, 0.25), atol=1 / 12)
    frames, times = read_video(path, 2.0, 6.0, num_frames=5)
    assert frames.shape[0] == 5 and np.all(np.diff(times) > 0) and 2.0 <= times[0] and times[-1] < 6.0
    frames, times = read_video(path, 1.0, 2.0)  # native rate
    assert frames.shape[0] == 12


def test_read_audio_wav_and_mp4_agree(synth_root, clips):
    rec = next(iter(clips.values()))
    seg = rec["segments"][0]
    a = read_audio(synth_root / rec["audio"], seg["start"], seg["end"])
    b = read_audio(synth_root / rec["video"], seg["start"], seg["end"])
    assert a.dtype == np.float32 and a.ndim == 1 and len(a) == round((seg["end"] - seg["start"]) * 16000)
    assert len(a) == len(b)
    assert np.sqrt(np.mean(a ** 2)) > 0.01  # speech, not silence
    assert np.corrcoef(a, b)[0, 1] > 0.95  # AAC copy of the same speech, aligned


def test_corrupt_mp4(synth_root, clips, tmp_path):
    bad = tmp_path / "bad.mp4"
    data = bytearray((synth_root / next(iter(clips.values()))["video"]).read_bytes())
    data[:64] = b"\0" * 64  # wipe the container header
    bad.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(MediaError, match=r"bad\.mp4: corrupt or unreadable media") as e:
        read_video(bad, 0, 1, fps=2)
    assert e.value.path == str(bad)
    with pytest.raises(MediaError, match=r"bad\.mp4: corrupt or unreadable media"):
        read_audio(bad, 0, 1)


def test_truncated_mp4(synth_root, clips, tmp_path):
    rec = next(iter(clips.values()))
    bad = tmp_path / "half.mp4"
    data = (synth_root / rec["video"]).read_bytes()
    bad.write_bytes(data[: len(data) // 2])  # index first (faststart), so the header still parses
    with pytest.raises(MediaError, match=r"half\.mp4: video data ends at [\d.]+ s, before the span end [\d.]+ s \(truncated\)"):
        read_video(bad, 0, rec["end"] - 1, fps=2)
    with pytest.raises(MediaError, match=r"half\.mp4: corrupt audio data"):
        read_audio(bad, 0, rec["end"] - 1)


def test_truncated_wav(synth_root, clips, tmp_path):
    bad = tmp_path / "cut.wav"
    data = (synth_root / next(iter(clips.values()))["audio"]).read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match=r"cut\.wav: truncated WAV: header declares \d+ bytes of audio, file holds \d+"):
        read_audio(bad, 0, 1)


def test_missing_file_no_audio_and_span_outside(tmp_path, synth_root, clips):
    with pytest.raises(MediaError, match=r"nothere\.mp4: file not found"):
        read_video(tmp_path / "nothere.mp4", 0, 1)
    rec = next(iter(clips.values()))
    silent = tmp_path / "silent.mp4"
    import av

    with av.open(str(synth_root / rec["video"])) as src, av.open(str(silent), "w") as dst:
        out = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = out
                dst.mux(packet)
    with pytest.raises(MediaError, match=r"silent\.mp4: no audio stream"):
        read_audio(silent, 0, 1)
    with pytest.raises(MediaError, match=r"span \[0, 99\.0\] s is outside the file \(duration [\d.]+ s\)"):
        read_audio(synth_root / rec["audio"], 0, 99.0)


def test_wav_at_other_rate_is_resampled(tmp_path):
    t = np.arange(8000) / 8000
    sf.write(tmp_path / "tone.wav", np.stack([np.sin(2 * np.pi * 440 * t)] * 2, axis=1), 8000)
    audio = read_audio(tmp_path / "tone.wav")
    assert audio.shape == (16000,) and audio.dtype == np.float32
    assert 0.6 < np.sqrt(np.mean(audio ** 2)) < 0.8  # a unit sine, downmixed and resampled


def test_media_error_is_one_catchable_type():
    assert issubclass(MediaError, RuntimeError)
    assert str(MediaError("a/b.mp4", "file not found")) == "a/b.mp4: file not found"
