"""Mail leaving AVA: sending over SMTP, the FR/EN templates, the outbox and the account emails."""
