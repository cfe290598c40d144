"""The pieces of the local Vapi emulator: its own SQLite store, request validation, call scenarios and recordings."""
