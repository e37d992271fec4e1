"""HTTP routes served next to the Reflex app: sign-in/out, health."""
