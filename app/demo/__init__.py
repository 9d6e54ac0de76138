"""Demo territory (Orléans Métropole): reference data files and a deterministic generator."""
