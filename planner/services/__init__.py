"""Use cases: keyword-only functions that take `session=` and are the only place that commits."""
