"""Pure domain: no web framework, database, HTTP or Redis imports; `now` is always a parameter."""
