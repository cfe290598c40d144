"""The local OpenAI-compatible Chat Completions emulator, with failure injection."""
