"""Billing: AVA's plans (``plans``), which calls are billable and how many minutes (``billable``)."""
