"""auth's rules: accounts, their passwords and activation codes, and what a signed-in user
may act as. Plain Python (no framework)."""
