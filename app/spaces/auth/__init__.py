"""Sign-in, registration, password change and sign-out pages."""
