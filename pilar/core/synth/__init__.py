"""Synthetic data for benchmarks, made by `pilar synth` (pilar/core/management/commands/synth.py):
a country-sized area tree (`areas`), people with one duty each (`people`) and, when asked for,
their casework (`casework`), written straight into the tables (`tables`) in one transaction;
the services and the audit log are bypassed on purpose. Everything synth makes lies in its
synthetic provinces (marked " [synth]"), so `--reset` deletes exactly that. It lives in core,
the top layer, because it writes the tables of several apps (docs/ARCHITECTURE.md)."""
