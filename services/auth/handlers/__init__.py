"""auth's use cases: each loads what it needs, calls the domain, saves and commits."""
