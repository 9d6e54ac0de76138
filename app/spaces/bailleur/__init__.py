"""The bailleur's space (/bailleur)."""
