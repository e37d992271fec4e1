"""Planner's REST API for the rest of the ATS, served under /api/v1."""
