"""The EPCI's space (/epci)."""
