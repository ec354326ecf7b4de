"""The import engine: turning a roster sheet's cells into registry values and deciding, row by
row, what each does to the registry — with no HTTP and no stored import (the app's services,
views and tasks around it keep those).

- `records`: what a row records (`RowResult`, its `Problem`s, the duty and person state the
  checker keeps), and a problem put into words (`shown_problem`).
- `normalize`: one cell into one registry value (NIK, date, sex, phone), or the problem with it.
- `lookup`: the registry's reference tables as the cells name them (areas, kinds, education).
- `cells`: a row's cells into values, one row at a time or a chunk column by column, both
  through one converter table (`CONVERTERS`).
- `areas`: a row's residence and area of duty from its area columns.
- `checker`: each row decided against the registry and the rows above it (`Checker`).
- `driver`: reading a sheet (in a second process when large) and deciding it chunk by chunk.
"""
