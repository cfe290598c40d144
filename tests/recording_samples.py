"""Small files for recording tests: real audio of each kind AVA serves, and bodies that must never pass for audio."""

from __future__ import annotations

import io
import math
import struct
import wave


def wav_bytes(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV of a 440 Hz tone."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate))) for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


# The first bytes of each container, as their magic numbers identify them (enough for sniffing, not for playing).
AUDIO_HEADS = {
    "audio/wav": wav_bytes(0.05),
    "audio/mpeg": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + bytes(400),
    "audio/ogg": b"OggS\x00\x02" + bytes(22) + b"OpusHead" + bytes(200),
    "audio/webm": bytes.fromhex("1a45dfa3") + b"\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + bytes(200),
    "audio/mp4": b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + bytes(200),
}
# What an attacker would serve as a "recording" to run script on AVA's origin.
HTML_PAGE = (
    b"<!doctype html><html><body><script>"
    b"fetch('/steal?t=' + encodeURIComponent(localStorage.getItem('ava_session')))"
    b"</script></body></html>"
)
NOT_AUDIO = {
    "html": HTML_PAGE,
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"/>',
    "javascript": b"alert(localStorage.getItem('ava_refresh'))",
    "json": b'{"recording": "none"}',
    "gif": b"GIF89a" + bytes(100),
    "pdf": b"%PDF-1.7\n" + bytes(100),
}
