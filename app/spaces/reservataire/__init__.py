"""The réservataire's space (/reservataire)."""
