"""Subcommands of ``python -m matching``; each module exposes ``register(subparsers)``."""
