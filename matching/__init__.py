"""Cotaflux pure domain: eligibility, cotation, flux, proposals.

No import of flask, sqlalchemy or app here: the web application adapts its rows into these
records (app/adapters) and calls in.
"""
