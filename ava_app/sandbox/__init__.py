"""The local emulators of Vapi, Twilio and OpenAI, mounted only in development (``sandbox_channels``)."""
