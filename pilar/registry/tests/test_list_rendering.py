"""The pillar list's rows are written in Python (docs/PERFORMANCE.md, "Load"): they must show
exactly what the template loop they replace showed, escaped the same way."""

from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from pilar.registry.views import person_rows_html
from pilar.tests_support import login

# The template loop the rows replaced (person_list.html before issue 14's load work).
OLD_ROWS = Template(
    """{% load i18n %}{% for p in page %}
  <tr>
    <td><a href="{% url 'registry:person-detail' p.pk %}">{{ p.name }}</a></td>
    <td class="mono">{{ p.masked_nik }}</td>
    <td>{% for a in p.current %}<span class="tag">{{ a.kind.code }}</span> {{ a.area.name }}"""
    """{% if not forloop.last %}<br>{% endif %}{% empty %}<span class="muted">"""
    """{% translate "none" %}</span>{% endfor %}</td>
    <td class="hide-sm">{{ p.phone }}</td>
  </tr>{% endfor %}"""
)


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_person_rows_are_those_of_the_template_they_replace(
    client, actors, make_person, make_assignment
):
    hostile = make_person(name='<img src=x onerror="alert(1)"> & Sons')
    make_assignment(hostile, "PSM", "13.75.01.1001")
    make_assignment(hostile, "PENDAMPING_KUBE", "13.75.01")
    make_person(name="Tanpa Tugas")  # no duty: "none"
    login(client, actors["admin"])
    response = client.get("/pillars/")
    page = list(response.context["page"])
    assert any(len(p.current) == 2 for p in page) and any(not p.current for p in page)
    old = OLD_ROWS.render(Context({"page": page}))
    assert squeeze(person_rows_html(page)) == squeeze(old)
    body = response.content.decode()
    assert squeeze(old) in squeeze(body)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Sons" in body
    assert "<img src=x" not in body


def test_person_list_queries_do_not_grow_with_rows(client, actors, make_person):
    login(client, actors["admin"])
    client.get("/pillars/")
    with CaptureQueriesContext(connection) as few:
        client.get("/pillars/")
    for n in range(6):
        make_person(name=f"Orang {n}")
    client.get("/pillars/")  # the filter's choices are rebuilt once after a write
    with CaptureQueriesContext(connection) as many:
        client.get("/pillars/")
    assert len(many) == len(few)


def test_a_filter_that_cannot_apply_shows_no_row(client, actors):
    login(client, actors["admin"])
    body = client.get("/pillars/?area=99.99").content.decode()
    assert '<td colspan="4" class="muted">' in body  # "Nobody matches these filters."
