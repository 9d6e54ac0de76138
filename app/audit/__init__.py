"""The append-only audit log of who did or read what."""
