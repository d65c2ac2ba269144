"""tensorgrad.nn (being built)."""
