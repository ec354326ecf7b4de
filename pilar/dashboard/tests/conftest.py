# The stipend panel's tests use the tali kasih fixtures: 20 November 2024, English, rates.
from pilar.stipends.tests.conftest import banked, by, english, november_2024, rates  # noqa: F401
