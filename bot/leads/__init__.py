"""Leads: what a school receives (records, exports) and how it gets there (the outbox worker)."""
