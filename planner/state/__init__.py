"""Reflex page states: thin handlers that call services and keep view models."""
