"""The local Vapi emulator: its API, its own SQLite store, request validation, call scenarios and recordings."""
