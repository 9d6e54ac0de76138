"""The allocation committee's space (/cal)."""
