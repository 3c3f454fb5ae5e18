"""The only package that imports provider SDKs (enforced by import-linter)."""
