"""Per-feature UI strings: each module defines ``EN`` and ``FR`` dicts (and optionally ``FR_SERVICE_MESSAGES``)."""
