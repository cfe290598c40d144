"""Call ingest: storing provider webhook events and applying them to calls."""
