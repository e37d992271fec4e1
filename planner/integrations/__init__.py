"""Adapters to the outside world (calendars, meetings, mail); they never touch the database."""
