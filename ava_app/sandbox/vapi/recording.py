"""Call recordings for the emulator: real speech with espeak-ng + sox when installed, else plain tones (stdlib wave).

The result is a short mono 16-bit WAV the emulator serves, so the audio player in AVA has something real.
Given a ``cache_dir``, a conversation already rendered word for word is not synthesised again: its file is hard-linked
(copied where links are not possible), which is what makes hundreds of demo calls with real speech affordable.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import wave
from array import array
from pathlib import Path

log = logging.getLogger(__name__)

SAMPLE_RATE = 8000  # phone quality, and small files
_VOICES = {"bot": "+f3", "user": "+m3"}
_ESPEAK_LANGUAGES = {"en": "en-us", "fr": "fr"}


async def synthesize_recording(
    *,
    turns: list[tuple[str, str]],
    path: Path,
    language: str = "en",
    use_speech: bool = True,
    cache_dir: Path | None = None,
) -> Path:
    """Write a WAV of the conversation ``[(role, text)]`` to ``path``; speech if possible, tones otherwise.

    With ``cache_dir``, reuse the file of an identical conversation (same turns, language and kind of audio) kept
    there, or keep this one there for the next.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    speech = use_speech and bool(turns) and bool(shutil.which("espeak-ng") and shutil.which("sox"))
    kept = cache_dir / f"{conversation_key(turns=turns, language=language, speech=speech)}.wav" if cache_dir else None
    if kept is not None and kept.is_file():
        await asyncio.to_thread(_link, kept, path)
        return path
    if speech:
        try:
            await _speak(turns=turns, path=path, language=language)
        except (OSError, RuntimeError, TimeoutError) as exc:
            # A broken TTS install must not lose the call: fall back to tones.
            log.warning("sandbox recording: speech synthesis failed (%s); writing tones", exc)
            speech = False
    if not speech:
        await asyncio.to_thread(write_tone_recording, turns=turns, path=path)
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            # Another call with the same words got there first; either file will do.
            await asyncio.to_thread(_link, path, kept, replace=False)
    return path


def conversation_key(*, turns: list[tuple[str, str]], language: str, speech: bool) -> str:
    """What identifies a recording's content: the words, who says them, the language and speech or tones."""
    text = json.dumps([language, speech, [list(turn) for turn in turns]], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _link(source: Path, target: Path, *, replace: bool = True) -> None:
    """Hard-link ``target`` to ``source`` (a copy on file systems without links)."""
    if replace:
        target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:
        shutil.copyfile(source, target)


async def _speak(*, turns: list[tuple[str, str]], path: Path, language: str) -> None:
    voice = _ESPEAK_LANGUAGES.get(language.split("-")[0], "en-us")
    with tempfile.TemporaryDirectory() as tmp:
        # espeak-ng writes 22.05 kHz mono 16-bit; the pause between turns must match so sox can concatenate.
        pause = str(Path(tmp) / "pause.wav")
        await _run("sox", "-n", "-r", "22050", "-c", "1", "-b", "16", pause, "trim", "0.0", "0.4")
        parts: list[str] = []
        for index, (role, text) in enumerate(turns):
            part = Path(tmp) / f"{index:03d}.wav"
            await _run("espeak-ng", "-v", voice + _VOICES.get(role, ""), "-s", "165", "-w", str(part), text)
            parts += [str(part), pause]
        await _run("sox", *parts, "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(path))


async def _run(*command: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    except TimeoutError:
        process.kill()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} exited {process.returncode}: {stderr.decode(errors='replace')[:200]}")


def write_tone_recording(*, turns: list[tuple[str, str]], path: Path) -> Path:
    """A WAV with one tone per turn (higher for the assistant), as long as the words would take to say."""
    frames = bytearray()
    for role, text in turns or [("bot", "")]:
        seconds = max(0.4, len(text.split()) / 2.7)
        frames += _tone(440 if role == "bot" else 330, int(seconds * SAMPLE_RATE))
        frames += b"\x00\x00" * int(0.3 * SAMPLE_RATE)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(bytes(frames))
    return path


def _tone(pitch: int, samples: int) -> bytes:
    """``samples`` of a sine at ``pitch`` Hz: one period of the sampled wave, repeated (a sample a time is slow)."""
    period = SAMPLE_RATE // math.gcd(SAMPLE_RATE, pitch)
    cycle = array("h", (int(6000 * math.sin(2 * math.pi * pitch * i / SAMPLE_RATE)) for i in range(period)))
    if sys.byteorder == "big":
        cycle.byteswap()  # WAV samples are little-endian
    block = cycle.tobytes()
    whole, part = divmod(samples, period)
    return block * whole + block[: part * 2]
