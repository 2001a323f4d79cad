"""Evaluation service."""
