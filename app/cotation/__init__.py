"""Cotation de la demande: stored scores and their recomputation from the database."""
