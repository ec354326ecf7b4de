"""The household list's rows are written in Python (docs/PERFORMANCE.md, "Load"): they must
show exactly what the template loop they replace showed, escaped the same way, and the filter's
area choices, built once per data version, must show an area added since."""

from django.db import connection, transaction
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.casework.views.households import household_rows_html
from pilar.regions.models import Area
from pilar.tests_support import login

# The template loop the rows replaced (household_list.html before issue 14's load work).
OLD_ROWS = Template(
    """{% load i18n %}{% translate "Head of household" as l_head %}{% translate "KK" as l_kk %}"""
    """{% translate "Kelurahan" as l_kel %}{% translate "Decile" as l_decile %}"""
    """{% translate "Pillar" as l_pillar %}{% translate "Status" as l_status %}{% for h in page %}
  <tr>
    <td data-label="{{ l_head }}"><a
      href="{% url 'casework:household-detail' h.pk %}">{{ h.head_name|default:"—" }}</a></td>
    <td data-label="{{ l_kk }}" class="mono">{{ h.masked_kk }}</td>
    <td data-label="{{ l_kel }}">{{ h.area.name }}</td>
    <td data-label="{{ l_decile }}" class="num">{{ h.decile|default:"—" }}</td>
    <td data-label="{{ l_pillar }}">{{ h.pillar_name|default:"—" }}</td>
    <td data-label="{{ l_status }}">{{ h.get_status_display }}</td>
  </tr>{% endfor %}"""
)


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_household_rows_are_those_of_the_template_they_replace(
    client, actors, caseload, make_household
):
    make_household(head='<script>alert("x")</script> & Co', decile=3)
    login(client, actors["admin"])
    response = client.get("/households/")
    page = list(response.context["page"])
    assert len(page) == 4
    old = OLD_ROWS.render(Context({"page": page}))
    assert squeeze(household_rows_html(page)) == squeeze(old)
    body = response.content.decode()
    assert squeeze(old) in squeeze(body)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in body
    assert "<script>alert" not in body


def test_household_list_queries_do_not_grow_with_rows(client, actors, caseload, make_household):
    login(client, actors["admin"])
    client.get("/households/")
    with CaptureQueriesContext(connection) as few:
        client.get("/households/")
    for n in range(6):
        make_household(head=f"Kepala {n}")
    client.get("/households/")  # the filter's choices are rebuilt once after a write
    with CaptureQueriesContext(connection) as many:
        response = client.get("/households/")
    assert len(response.context["page"]) == 9
    assert len(many) == len(few)


def test_empty_household_list_says_so(client, actors, reference):
    login(client, actors["admin"])
    body = client.get("/households/").content.decode()
    assert '<td colspan="6" class="muted">' in body  # "No household matches these filters."


def test_an_area_loaded_since_shows_in_the_filters(client, actors, caseload):
    login(client, actors["admin"])
    assert "13.75.01.1999" not in client.get("/households/").content.decode()
    assert "13.75.01.1999" not in client.get("/pillars/").content.decode()
    with transaction.atomic():  # as `pilar load-regions` does: the areas and an audit entry
        Area.objects.create(
            code="13.75.01.1999",
            name="Kampung Baru",
            level=Area.Level.KELURAHAN,
            kind=Area.Kind.KELURAHAN,
            parent=Area.objects.get(code="13.75.01"),
        )
        audit_record(
            by=Actor.system(),
            action=AuditEntry.Action.LOAD,
            object_type="regions.area",
            object_repr="areas.csv",
        )
    assert '<option value="13.75.01.1999">' in client.get("/households/").content.decode()
    assert '<option value="13.75.01.1999">' in client.get("/pillars/").content.decode()
