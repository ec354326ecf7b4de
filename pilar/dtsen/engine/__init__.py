"""The engine of a DTSEN extract import: reading the sheet (`sheet.py`), making its cells into
household and member values (`cells.py`), grouping the rows by KK and deciding each household
against the database (`decide.py`), writing what was decided (`write.py`) and taking it back
(`undo.py`). The services (`pilar/dtsen/services.py`) run it as jobs; docs/IMPORTS.md, section
"Household extracts (DTSEN)", describes the rules.
"""
