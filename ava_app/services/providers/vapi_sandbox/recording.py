"""Call recordings for the emulator: real speech with espeak-ng + sox when installed, else plain tones (stdlib wave).

The result is a short mono 16-bit WAV the emulator serves, so the audio player in AVA has something real.
"""

from __future__ import annotations

import asyncio
import logging
import math
import shutil
import struct
import tempfile
import wave
from pathlib import Path

log = logging.getLogger(__name__)

SAMPLE_RATE = 8000  # phone quality, and small files
_VOICES = {"bot": "+f3", "user": "+m3"}
_ESPEAK_LANGUAGES = {"en": "en-us", "fr": "fr", "es": "es", "de": "de", "it": "it", "pt": "pt", "nl": "nl"}


async def synthesize_recording(
    *, turns: list[tuple[str, str]], path: Path, language: str = "en", use_speech: bool = True
) -> Path:
    """Write a WAV of the conversation ``[(role, text)]`` to ``path``; speech if possible, tones otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if use_speech and turns and shutil.which("espeak-ng") and shutil.which("sox"):
        try:
            await _speak(turns=turns, path=path, language=language)
            return path
        except (OSError, RuntimeError, TimeoutError) as exc:
            # A broken TTS install must not lose the call: fall back to tones.
            log.warning("sandbox recording: speech synthesis failed (%s); writing tones", exc)
    await asyncio.to_thread(write_tone_recording, turns=turns, path=path)
    return path


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
        pitch = 440.0 if role == "bot" else 330.0
        for i in range(int(seconds * SAMPLE_RATE)):
            frames += struct.pack("<h", int(6000 * math.sin(2 * math.pi * pitch * i / SAMPLE_RATE)))
        frames += b"\x00\x00" * int(0.3 * SAMPLE_RATE)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(bytes(frames))
    return path
