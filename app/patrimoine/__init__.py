"""The bailleurs' patrimoine: programmes and logements."""
