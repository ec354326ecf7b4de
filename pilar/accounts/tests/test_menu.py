"""The main menu per role: the daily links of the phone's header row, the rest behind "Menu",
and every link one its user may open."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from pilar.accounts.context_processors import access
from pilar.accounts.models import Role
from pilar.tests_support import login

# Per actor of pilar/conftest.py: the daily links, then the others, as the menu lists them.
OFFICE = ["/dashboard/", "/headcount/", "/kinerja/", "/pillars/", "/casework/"]
WORK = ["/households/", "/activities/"]
VERIVALI_MY, VERIVALI_REVIEW, ROUNDS = "/verivali/my/", "/verivali/review/", "/verivali/"
TOPICS = ["/tagana/", "/kube/", "/stipends/", "/trainings/", "/equipment/"]
MENUS = {
    "admin": (
        ["/pillars/", "/reports/", "/stipends/"],
        OFFICE
        + [
            "/caseload/",
            *WORK,
            "/reports/",
            ROUNDS,
            *TOPICS,
            "/imports/",
            "/audit/",
            "/backups/",
            "/office/",
            "/admin/",
        ],
    ),
    "operator": (
        ["/pillars/", "/reports/", "/stipends/"],
        OFFICE + ["/caseload/", *WORK, "/reports/", ROUNDS, *TOPICS, "/imports/"],
    ),
    "approver": (
        ["/dashboard/", "/stipends/", "/headcount/"],
        OFFICE + WORK + ["/reports/", ROUNDS] + TOPICS,
    ),
    "finance": (["/stipends/", "/dashboard/"], OFFICE + WORK + ["/reports/", ROUNDS] + TOPICS),
    # A TKSK with a login of their own duty: a coordinator and a pillar.
    "coordinator_a": (
        ["/reports/", "/caseload/", "/activities/new/"],
        OFFICE
        + ["/activities/new/", "/reports/mine/", "/caseload/", VERIVALI_MY, *WORK, "/reports/"]
        + [
            ROUNDS,
            VERIVALI_REVIEW,
            "/tagana/",
            "/kube/",
            "/stipends/mine/",
            "/trainings/",
            "/equipment/",
            "MY-DATA",
        ],
    ),
    "coordinator_b": (
        ["/reports/", "/caseload/"],
        OFFICE
        + [
            "/caseload/",
            *WORK,
            "/reports/",
            ROUNDS,
            VERIVALI_REVIEW,
            "/tagana/",
            "/kube/",
            "/trainings/",
            "/equipment/",
        ],
    ),
    "pillar": (
        ["/activities/new/", "/reports/mine/", "/stipends/mine/"],
        [
            "/pillars/",
            "/activities/new/",
            "/reports/mine/",
            "/kinerja/me/",
            "/caseload/",
            VERIVALI_MY,
        ]
        + WORK
        + [
            "/tagana/",
            "/kube/",
            "/stipends/mine/",
            "/trainings/mine/",
            "/equipment/mine/",
            "MY-DATA",
        ],
    ),
    # A Tagana member (the demo's tagana-004): a pillar like a PSM.
    "tagana": (
        ["/activities/new/", "/reports/mine/", "/stipends/mine/"],
        [
            "/pillars/",
            "/activities/new/",
            "/reports/mine/",
            "/kinerja/me/",
            "/caseload/",
            VERIVALI_MY,
        ]
        + WORK
        + [
            "/tagana/",
            "/kube/",
            "/stipends/mine/",
            "/trainings/mine/",
            "/equipment/mine/",
            "MY-DATA",
        ],
    ),
    "viewer": (
        ["/dashboard/", "/headcount/"],
        ["/dashboard/", "/headcount/", "/kinerja/", "/casework/"],
    ),
    "norole": ([], []),
}


class MenuLinks(HTMLParser):
    """The hrefs of the phone's daily row and "Menu" panel, of the desktop's list, and the
    number of summaries (Menu) and of Log out buttons."""

    def __init__(self):
        super().__init__()
        self.lists: dict[str, list[str]] = {"daily": [], "rest": [], "all": []}
        self.summary = self.logout = 0
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ul" and attrs.get("class") in self.lists:
            self._in = attrs["class"]
        elif tag == "a" and self._in:
            self.lists[self._in].append(attrs["href"])
        elif tag == "summary":
            self.summary += 1
        elif tag == "button" and attrs.get("form") == "logout":
            self.logout += 1

    def handle_endtag(self, tag):
        if tag == "ul":
            self._in = None


@pytest.fixture
def cast(actors, make_person, make_assignment, make_user):
    """The actors as the demo has them: its administrator is also Django staff (Settings), and
    a Tagana member signs in too."""
    actors["admin"].is_staff = True
    actors["admin"].save()
    member = make_person("Eko Tagana", sex="L", kelurahan="13.75.01.1002")
    make_assignment(member, "TAGANA", "13.75")
    return {**actors, "tagana": make_user("tagana-1", Role.PILLAR, person=member)}


def menu_of(client, path="/"):
    page = client.get(path, follow=True)
    assert page.status_code == 200
    parser = MenuLinks()
    parser.feed(page.content.decode())
    return parser


@pytest.mark.parametrize("who", list(MENUS))
def test_each_role_has_its_daily_links_in_the_row_and_the_rest_behind_menu(client, cast, who):
    user = cast[who]
    daily, everything = MENUS[who]
    mine = f"/pillars/{user.person_id}/"
    everything = [mine if url == "MY-DATA" else url for url in everything]
    login(client, user)
    menu = menu_of(client)
    assert menu.lists["daily"] == daily
    # Every other link sits behind "Menu", none twice, in the desktop's order.
    assert menu.lists["rest"] == [url for url in everything if url not in daily]
    assert menu.summary == 1  # the one "Menu" control
    # The desktop's list: all of them.
    assert menu.lists["all"] == everything
    assert menu.logout == 2  # in Menu's panel and in the desktop's list, one form


def test_settings_are_for_django_staff_only(client, actors):
    login(client, actors["admin"])  # an administrator by role, not Django staff
    assert "/admin/" not in menu_of(client).lists["all"]
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("who", [w for w in MENUS if w != "norole"])
def test_every_link_of_the_menu_opens_for_its_user(client, cast, who):
    """A link shows only to a user its page lets in."""
    user = cast[who]
    login(client, user)
    menu = menu_of(client)
    assert menu.lists["all"]
    for url in menu.lists["all"]:
        assert client.get(url).status_code == 200, (who, url)


def test_the_link_of_the_page_shown_is_marked_current(client, actors):
    login(client, actors["pillar"])
    html = client.get("/reports/mine/").content.decode()
    assert 'href="/reports/mine/" data-nav="my-reports" aria-current="page"' in html
    # In the phone's row and in the desktop's list; no other link of the menu.
    assert html.count('aria-current="page"') == 2
    # A page within a section marks the section's link.
    login(client, actors["operator"])
    html = client.get(f"/pillars/{actors['pillar'].person_id}/").content.decode()
    assert 'href="/pillars/" data-nav="pillars" aria-current="true"' in html


def test_an_anonymous_page_has_no_menu(client, reference):
    html = client.get("/accounts/login/").content.decode()
    assert "<summary" not in html and 'class="daily"' not in html


def test_the_menu_costs_no_query(rf, actors, django_assert_num_queries):
    """The menu reads the roles the context processor has read for the `can` table."""
    request = rf.get("/reports/mine/")
    request.user = actors["coordinator_a"]
    context = access(request)
    with django_assert_num_queries(0):
        assert [link.url for link in context["menu"].daily] == MENUS["coordinator_a"][0]
        assert context["menu"].rest


def test_links_follow_the_script_prefix(rf, actors):
    """Addresses are reversed once per process and prefix: an office serving Pilar under a
    path still gets links under it."""
    from django.urls import get_script_prefix, set_script_prefix

    before = get_script_prefix()
    request = rf.get("/")
    request.user = actors["viewer"]
    assert [link.url for link in access(request)["menu"].daily] == MENUS["viewer"][0]
    set_script_prefix("/pilar/")
    try:
        assert [link.url for link in access(request)["menu"].daily] == [
            "/pilar/dashboard/",
            "/pilar/headcount/",
        ]
    finally:
        set_script_prefix(before)
