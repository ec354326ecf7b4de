import datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from pilar.accounts.access import Capability
from pilar.api.common import Body, Day, Id, Limit, Offset, Search, api_actor, require
from pilar.regions.models import Area
from pilar.registry import services
from pilar.registry.headcount import headcount
from pilar.registry.models import (
    Assignment,
    Education,
    Person,
    PillarKind,
    Sex,
    assignment_scope_q,
    can_see_full_nik,
    office_duties_q,
)
from pilar.registry.selectors import PeopleFilter, mark_seen, matching_people
from pilar.registry.signals import new_duty_warnings

router = Router(tags=["registry"])


class KindOut(Schema):
    code: str
    name: str
    level: int
    min_per_area: int | None
    max_per_area: int | None


class AssignmentOut(Schema):
    id: int
    person_id: int
    kind: str
    area_code: str
    area_name: str
    sk_number: str
    sk_date: datetime.date | None
    sk_signer: str
    start_date: datetime.date
    end_date: datetime.date | None
    end_reason: str
    warnings: list[str] = Field(
        default=[],
        description="On a new duty: what the office should know, such as a required training "
        "the person has not passed. The duty is saved all the same.",
    )


class PersonOut(Schema):
    id: int
    nik: str = Field(description="Masked in lists, and unless the caller may see the full NIK.")
    name: str
    sex: str
    birth_place: str
    birth_date: datetime.date | None = Field(description="Only where the full NIK is shown.")
    age: int | None
    residence_code: str | None
    phone: str
    active_kinds: list[str]
    former: bool = Field(
        default=False,
        description="True when the person no longer serves in the caller's areas: only the "
        "name, the masked NIK and the duties held there are given; every other field is "
        "empty (docs/PRIVACY.md).",
    )


class PersonDetailOut(PersonOut):
    address: str
    education: str
    bank_name: str
    bank_account: str
    bank_holder: str
    assignments: list[AssignmentOut]


class PersonIn(Body):
    columns = (Person,)
    nik: str
    name: str
    sex: Sex
    birth_date: datetime.date
    birth_place: str = ""
    address: str = ""
    residence_code: str | None = None
    phone: str = ""
    education: Education | None = None
    bank_name: str = ""
    bank_account: str = ""
    bank_holder: str = ""


class PersonPatch(Body):
    columns = (Person,)
    nik: str | None = None
    name: str | None = None
    sex: Sex | None = None
    birth_date: datetime.date | None = None
    birth_place: str | None = None
    address: str | None = None
    residence_code: str | None = None
    phone: str | None = None
    education: Education | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    bank_holder: str | None = None


class AssignmentIn(Body):
    columns = (Assignment,)
    person_id: int
    kind: str = Field(description="Pillar kind code, e.g. PSM")
    area_code: str = Field(
        min_length=1,
        max_length=32,
        description="Kemendagri code of the area of duty, e.g. 13.75.01.1001",
    )
    start_date: datetime.date
    sk_number: str = ""
    sk_date: datetime.date | None = None
    sk_signer: str = ""
    override_reason: str = ""


class DutyByNikIn(Body):
    columns = (Assignment, Person)
    nik: str = Field(max_length=40, description="The NIK of a person already registered")
    name: str = Field(
        max_length=150, description="The person's name as on the KTP: it confirms the NIK"
    )
    kind: str = Field(max_length=32, description="Pillar kind code, e.g. PSM")
    area_code: str = Field(
        min_length=1,
        max_length=32,
        description="Kemendagri code of the area of duty, within the caller's",
    )
    start_date: datetime.date
    sk_number: str = ""
    sk_date: datetime.date | None = None
    sk_signer: str = ""
    override_reason: str = ""


class AssignmentEndIn(Body):
    columns = (Assignment,)
    end_date: datetime.date
    end_reason: Assignment.EndReason
    end_note: str = ""


class AreaCount(Schema):
    code: str
    name: str
    level: str
    kecamatan_code: str | None
    total: int
    by_kind: dict[str, int]


class GapOut(Schema):
    kind: str
    area_code: str
    area_name: str
    count: int
    minimum: int | None
    maximum: int | None
    problem: str


class HeadcountOut(Schema):
    as_of: datetime.date
    total: int
    by_kind: dict[str, int]
    by_kecamatan: list[AreaCount]
    by_kelurahan: list[AreaCount]
    gaps: list[GapOut]


def _assignment_out(a: Assignment) -> AssignmentOut:
    return AssignmentOut(
        id=a.pk,
        person_id=a.person_id,
        kind=a.kind.code,
        area_code=a.area.code,
        area_name=a.area.name,
        sk_number=a.sk_number,
        sk_date=a.sk_date,
        sk_signer=a.sk_signer,
        start_date=a.start_date,
        end_date=a.end_date,
        end_reason=a.end_reason,
    )


def _person_fields(p: Person, full: bool, today: datetime.date, duties) -> dict:
    """`p` as the caller may see them (read through `mark_seen`; `duties`, those
    shown). With the NIK masked, the birth date is withheld too: the masked digits are the
    birth date."""
    full = full and not p.minimal
    return {
        "id": p.pk,
        "nik": p.nik if full else p.masked_nik,
        "name": p.name,
        "sex": p.sex,
        "birth_place": p.birth_place,
        "birth_date": p.birth_date if full else None,
        "age": None if p.minimal else p.age_on(today),
        "residence_code": p.residence.code if p.residence else None,
        "phone": p.phone,
        "active_kinds": sorted({a.kind.code for a in duties if a.is_active_on(today)}),
        "former": p.minimal,
    }


@router.get("/kinds", response=list[KindOut], summary="Pillar kinds")
def list_kinds(request):
    return list(PillarKind.objects.all())


@router.get("/people", response=list[PersonOut], summary="People, scoped to the caller")
def list_people(
    request,
    kind: str | None = None,
    area: str | None = None,
    exact: bool = False,
    active_on: Day | None = None,
    q: Search | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.PEOPLE_VIEW)
    people, _duties = matching_people(
        request.user,
        PeopleFilter(
            kind=kind or "",
            area=Area.objects.by_code(area, "area"),
            exact=exact,
            active_on=active_on,
            q=q or "",
        ),
    )
    limit = max(1, min(limit, 500))
    today = timezone.localdate()
    page = people.select_related("residence").prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.in_office_of(request.user)
            .with_scope_flag(request.user)
            .select_related("kind"),
            to_attr="current",
        )
    )[offset : offset + limit]
    # Lists always mask the NIK (the full NIK is on the logged detail route).
    return [
        PersonOut(**_person_fields(p, False, today, p.current))
        for p in mark_seen(request.user, list(page))
    ]


def _detail(request, person: Person) -> PersonDetailOut:
    """One person as the caller may see them. A person who no longer serves in the caller's
    areas is given as they were there and the look is not logged as a view of full personal
    data: nothing beyond the caller's own area's records is given (docs/PRIVACY.md)."""
    mark_seen(request.user, [person])
    full = not person.minimal and can_see_full_nik(request.user, person)
    if full:
        services.record_personal_data_view(by=api_actor(request), person=person, what="API")
    assignments = person.assignments.select_related("kind", "area").order_by("-start_date")
    if person.minimal:
        assignments = assignments.filter(assignment_scope_q(request.user, Capability.PEOPLE_VIEW))
    office_q = office_duties_q(request.user, person)
    if office_q is not None:
        # Another office's duties stay that office's (docs/OFFICE.md, "Many offices").
        assignments = assignments.filter(office_q)
    assignments = list(assignments)
    data = _person_fields(person, full, timezone.localdate(), assignments)
    return PersonDetailOut(
        **data,
        address=person.address,
        education=person.education,
        bank_name=person.bank_name,
        bank_account=person.bank_account if full else "",
        bank_holder=person.bank_holder,
        assignments=[_assignment_out(a) for a in assignments],
    )


@router.get("/people/{person_id}", response=PersonDetailOut, summary="One person")
def get_person(request, person_id: Id):
    require(request, Capability.PEOPLE_VIEW)
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=person_id)
    return _detail(request, person)


@router.post("/people", response={201: PersonDetailOut}, summary="Register a person")
def create_person(request, payload: PersonIn):
    require(request, Capability.PEOPLE_EDIT)
    data = payload.dict()
    data["residence"] = Area.objects.by_code(data.pop("residence_code"), "residence_code")
    data["education"] = data["education"] or ""
    person = services.person_create(by=api_actor(request), data=data)
    return Status(201, _detail(request, person))


@router.patch("/people/{person_id}", response=PersonDetailOut, summary="Change a person")
def update_person(request, person_id: Id, payload: PersonPatch):
    require(request, Capability.PEOPLE_EDIT)
    person = get_object_or_404(Person.objects.editable_by(request.user), pk=person_id)
    data = payload.dict(exclude_unset=True)
    if "residence_code" in data:
        data["residence"] = Area.objects.by_code(data.pop("residence_code"), "residence_code")
    required = [k for k in ("nik", "name", "sex", "birth_date") if k in data and data[k] is None]
    if required:
        raise ValidationError({k: [_("This field cannot be empty.")] for k in required})
    # null clears an optional text field
    data = {k: ("" if v is None and k != "residence" else v) for k, v in data.items()}
    person = services.person_update(by=api_actor(request), person=person, data=data)
    return _detail(request, person)


@router.get("/assignments", response=list[AssignmentOut], summary="Duties, scoped")
def list_assignments(
    request,
    kind: str | None = None,
    area: str | None = None,
    active_on: Day | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.PEOPLE_VIEW)
    qs = Assignment.objects.visible_to(request.user).select_related("kind", "area")
    if kind:
        qs = qs.filter(kind__code=kind)
    if area:
        qs = qs.within(Area.objects.by_code(area, "area"))
    if active_on:
        qs = qs.active_on(active_on)
    limit = max(1, min(limit, 500))
    return [_assignment_out(a) for a in qs.order_by("pk")[offset : offset + limit]]


@router.post("/assignments", response={201: AssignmentOut}, summary="Give a person a duty")
def create_assignment(request, payload: AssignmentIn):
    require(request, Capability.PEOPLE_EDIT)
    person = get_object_or_404(Person.objects.editable_by(request.user), pk=payload.person_id)
    kind = PillarKind.objects.filter(code=payload.kind).first()
    if kind is None:
        raise ValidationError(
            {"kind": [_("No pillar kind has the code %(code)s.") % {"code": payload.kind}]}
        )
    assignment = services.assignment_create(
        by=api_actor(request),
        person=person,
        kind=kind,
        area=Area.objects.by_code(payload.area_code, "area_code"),
        start_date=payload.start_date,
        sk_number=payload.sk_number,
        sk_date=payload.sk_date,
        sk_signer=payload.sk_signer,
        override_reason=payload.override_reason,
    )
    out = _assignment_out(assignment)
    out.warnings = new_duty_warnings(person, kind, assignment.start_date)
    return Status(201, out)


def _kind(code: str) -> PillarKind:
    kind = PillarKind.objects.filter(code=code).first()
    if kind is None:
        raise ValidationError(
            {"kind": [_("No pillar kind has the code %(code)s.") % {"code": code}]}
        )
    return kind


@router.post(
    "/assignments/by-nik",
    response={201: AssignmentOut},
    summary="Give a duty to a person registered elsewhere, by NIK",
)
def create_assignment_by_nik(request, payload: DutyByNikIn):
    """A person moving from another office (docs/OFFICE.md, "Many offices"): found by NIK and
    confirmed by the name; refused while they hold a duty of the same kind elsewhere (the
    message names its kind, area and start). Nothing of the person is answered beyond the
    duty."""
    require(request, Capability.PEOPLE_EDIT)
    kind = _kind(payload.kind)
    assignment = services.duty_for_registered_nik(
        by=api_actor(request),
        nik=payload.nik,
        name=payload.name,
        kind=kind,
        area=Area.objects.by_code(payload.area_code, "area_code"),
        start_date=payload.start_date,
        sk_number=payload.sk_number,
        sk_date=payload.sk_date,
        sk_signer=payload.sk_signer,
        override_reason=payload.override_reason,
    )
    out = _assignment_out(assignment)
    out.warnings = new_duty_warnings(assignment.person, kind, assignment.start_date)
    return Status(201, out)


@router.post("/assignments/{assignment_id}/end", response=AssignmentOut, summary="End a duty")
def end_assignment(request, assignment_id: Id, payload: AssignmentEndIn):
    require(request, Capability.PEOPLE_EDIT)
    assignment = get_object_or_404(Assignment.objects.editable_by(request.user), pk=assignment_id)
    assignment = services.assignment_end(
        by=api_actor(request),
        assignment=assignment,
        end_date=payload.end_date,
        end_reason=payload.end_reason,
        end_note=payload.end_note,
    )
    return _assignment_out(assignment)


@router.get("/headcount", response=HeadcountOut, summary="Active duties as of a date")
def get_headcount(
    request,
    as_of: Day | None = None,
    # Only within this area (a Kemendagri code, e.g. 13.75); an area outside the caller's
    # scope (another office's) answers 404.
    area: Annotated[str, Field(max_length=32)] | None = None,
):
    require(request, Capability.HEADCOUNT_VIEW)
    result = headcount(
        as_of=as_of or timezone.localdate(),
        user=request.user,
        area=Area.objects.by_code(area, "area"),
    )
    # Returned as built: validating tens of thousands of rows against HeadcountOut again would
    # cost more than counting them (the schema still documents the response).
    return JsonResponse(result.as_json())
