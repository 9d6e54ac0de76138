"""Gestion en flux: conventions de réservation, offres and the flux event ledger."""
