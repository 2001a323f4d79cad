"""The performance suite: `make bench` prints `name=value` lines."""
