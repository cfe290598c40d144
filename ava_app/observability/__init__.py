"""Observability: Prometheus metrics, JSON logs and the request id that ties a request's log lines to its jobs.

The bottom layer beside ``settings``: it imports no service, so every layer (API, services, job queue) may record.
"""
