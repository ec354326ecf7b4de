import pytest

from pilar.tests_support import english_messages

english = pytest.fixture(autouse=True, name="english")(english_messages)
