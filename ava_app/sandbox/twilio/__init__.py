"""The local Twilio emulator: the REST API subset AVA uses, with failure injection."""
