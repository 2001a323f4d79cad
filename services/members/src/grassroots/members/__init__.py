"""Members service: organisation tree and member registry."""
