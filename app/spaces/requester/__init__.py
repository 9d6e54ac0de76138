"""The requester's space (/mon-espace): their demande, its PDF summary."""
