"""Calendar providers (CalDAV, Google, Microsoft) behind one interface."""
