"""Vapi webhook ingestion: event store and dedupe, call upsert, end-of-call report, inbound routing, their jobs."""
