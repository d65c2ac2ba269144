"""tensorgrad.optim (being built)."""
