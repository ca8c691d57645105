"""tenancy's rules: organizational units and the catalog, in plain Python (no framework)."""
