"""A refusal (403) writes one line to the server log, not a traceback."""

import logging

from pilar.tests_support import login


def test_a_403_is_logged_as_one_line(client, actors, caplog):
    viewer = actors["viewer"]
    login(client, viewer)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/pillars/").status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    record = records[0]
    assert record.exc_info is None and record.exc_text is None
    line = record.getMessage()
    assert line == f"Forbidden: GET /pillars/ user={viewer.pk} reason=no people.view"
    assert "Traceback" not in caplog.text and "\n" not in line


def test_other_answers_are_logged_as_before(client, actors, caplog):
    """Only refusals are rewritten: a 404's record is Django's own."""
    login(client, actors["admin"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/pillars/999999/").status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and records[0].getMessage().startswith("Not Found:")


def test_an_api_403_is_one_line_naming_method_and_user(client, actors, caplog):
    viewer = actors["viewer"]
    login(client, viewer)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/api/v1/people").status_code == 403
    lines = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert lines == [f"Forbidden: GET /api/v1/people user={viewer.pk} reason=permission denied"]


def test_logging_configured_twice_keeps_the_reason(client, actors, caplog):
    """Logging configured again (django.setup() run twice, as a test tool does) puts the filter
    on the logger a second time: the line keeps its reason."""
    from pilar.core.logging import OneLineForbidden

    logger, second = logging.getLogger("django.request"), OneLineForbidden()
    logger.addFilter(second)
    try:
        viewer = actors["viewer"]
        login(client, viewer)
        with caplog.at_level(logging.WARNING, logger="django.request"):
            assert client.get("/pillars/").status_code == 403
    finally:
        logger.removeFilter(second)
    lines = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert lines == [f"Forbidden: GET /pillars/ user={viewer.pk} reason=no people.view"]
