"""Test harness: throwaway nats-server and PostgreSQL processes, running services, tokens."""
