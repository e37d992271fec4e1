"""Planner: the interview scheduler of an applicant tracking system."""
