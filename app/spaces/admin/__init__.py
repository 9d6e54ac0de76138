"""The platform operator's space (/admin)."""
