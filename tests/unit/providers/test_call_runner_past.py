"""Simulated calls played from the past (demo data): their own clock, no waiting, recordings reused word for word."""

from __future__ import annotations

import time
import wave
from datetime import UTC, datetime, timedelta

import pytest

from ava_app.sandbox.vapi.app import simulate_call
from ava_app.sandbox.vapi.call_runner import REUSE_DIR
from ava_app.sandbox.vapi.recording import write_tone_recording
from tests.unit.providers.conftest import assistant_config


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


async def test_a_call_from_last_week_carries_last_weeks_times_and_does_not_wait(emulator, raw, receiver):
    assistant = (await raw.post("/assistant", json=assistant_config())).json()
    answered = datetime(2025, 3, 11, 9, 42, 5, tzinfo=UTC)

    began = time.monotonic()
    call = await simulate_call(emulator, intent="booking", assistant_id=assistant["id"], speed=1, started_at=answered)

    assert time.monotonic() - began < 5, "speed is ignored: a call from the past is fast-forwarded"
    assert _moment(call["startedAt"]) == answered
    ended = _moment(call["endedAt"])
    assert answered + timedelta(seconds=15) < ended < answered + timedelta(minutes=3)
    assert _moment(call["createdAt"]) == answered - timedelta(seconds=1.5) and call["updatedAt"] == call["endedAt"]
    stamps = [message["timestamp"] for message in receiver.messages()]
    assert stamps == sorted(stamps)
    assert answered - timedelta(seconds=2) <= datetime.fromtimestamp(stamps[0] / 1000, UTC) <= answered
    assert datetime.fromtimestamp(stamps[-1] / 1000, UTC) == ended
    report = receiver.messages("end-of-call-report")[0]
    assert (report["startedAt"], report["endedAt"]) == (call["startedAt"], call["endedAt"])
    spoken = [m for m in report["artifact"]["messages"] if m["role"] in ("bot", "user")]
    assert all(answered.timestamp() * 1000 <= m["time"] <= ended.timestamp() * 1000 for m in spoken)
    stored = (await raw.get(f"/call/{call['id']}")).json()
    assert stored["startedAt"] == call["startedAt"] and stored["status"] == "ended"


async def test_a_naive_start_time_is_refused(emulator, raw):
    assistant = (await raw.post("/assistant", json=assistant_config())).json()
    with pytest.raises(ValueError, match="timezone-aware"):
        await simulate_call(emulator, intent="question", assistant_id=assistant["id"], started_at=datetime(2025, 3, 1))


async def test_the_same_words_reuse_one_recording_and_other_words_get_their_own(emulator, raw):
    sandbox = emulator.state.sandbox
    sandbox.use_speech = False
    assistant = (await raw.post("/assistant", json=assistant_config())).json()
    base = datetime(2025, 3, 11, 9, 0, tzinfo=UTC)

    calls = [
        await simulate_call(
            emulator,
            intent=intent,
            assistant_id=assistant["id"],
            customer={"number": "+33639980001", "name": "Camille Martin"},
            started_at=base + timedelta(hours=index),
            reuse_recordings=True,
        )
        for index, intent in enumerate(("complaint", "complaint", "wrong_number"))
    ]

    files = [sandbox.recordings_dir / f"{call['id']}-mono.wav" for call in calls]
    assert all(path.is_file() for path in files)
    assert files[0].stat().st_ino == files[1].stat().st_ino, "same conversation, one file"
    assert files[2].stat().st_ino != files[0].stat().st_ino
    assert len(list((sandbox.recordings_dir / REUSE_DIR).iterdir())) == 2
    urls = {call["artifact"]["recordingUrl"] for call in calls}
    assert len(urls) == 3, "each call keeps its own recording URL"


async def test_without_reuse_every_call_renders_its_own_file(emulator, raw):
    emulator.state.sandbox.use_speech = False
    assistant = (await raw.post("/assistant", json=assistant_config())).json()
    first = await simulate_call(emulator, intent="wrong_number", assistant_id=assistant["id"], speed=0)
    second = await simulate_call(emulator, intent="wrong_number", assistant_id=assistant["id"], speed=0)
    recordings = emulator.state.sandbox.recordings_dir
    inodes = {(recordings / f"{call['id']}-mono.wav").stat().st_ino for call in (first, second)}
    assert len(inodes) == 2 and not (recordings / REUSE_DIR).exists()


def test_tones_are_the_length_the_words_take(tmp_path):
    turns = [("bot", "one two three four five six"), ("user", "yes")]
    path = write_tone_recording(turns=turns, path=tmp_path / "t.wav")
    with wave.open(str(path)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
    assert seconds == pytest.approx(6 / 2.7 + 0.3 + 0.4 + 0.3, abs=0.01)
