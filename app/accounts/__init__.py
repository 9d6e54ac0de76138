"""Accounts: organisations, users, memberships, sign-in, passwords and access control."""
