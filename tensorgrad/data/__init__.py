"""tensorgrad.data (being built)."""
