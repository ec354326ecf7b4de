"""Area lists kept as data, loaded by the code that needs them (never by a migration)."""
