"""The demande de logement social and its parts, its reads, its retention."""
