"""Audited writes to users and their role grants."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pilar.accounts.access import grant_area_problem, office_choice_problem
from pilar.accounts.models import Role, RoleGrant, User
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record


@transaction.atomic
def user_create(
    *,
    by: Actor,
    username: str,
    password: str,
    grants: list[tuple[str, object]],
    person=None,
    **fields,
) -> User:
    """Create a login with its role grants (role, area or None). A user linked to a person
    also gets the pillar role, scoped to themself."""
    user = User(username=username, person=person, **fields)
    creator = by.signed_in_user
    if creator is not None:
        problem = office_choice_problem(creator, user.office)
        if problem:
            raise ValidationError({"office": [problem]})
        people = User._meta.get_field("person").related_model.objects
        if person is not None and not people.visible_to(creator).filter(pk=person.pk).exists():
            # Not another office's pillar: the link would show them whole to the new login.
            raise ValidationError(
                {"person": [_("Choose a person your office serves with; this one is not.")]}
            )
    # Every role's area lies within the user's office (docs/OFFICE.md, "Many offices").
    problems = [grant_area_problem(user, area) for _role, area in grants]
    if any(problems):
        raise ValidationError({"area": [p for p in problems if p]})
    user.set_password(password)
    user.save()
    if person is not None and all(role != Role.PILLAR for role, _area in grants):
        grants = [*grants, (Role.PILLAR, None)]
    for role, area in grants:
        RoleGrant.objects.create(user=user, role=role, area=area)
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=user,
        person=person,
        changes={
            "username": [None, username],
            "grants": [None, [f"{role}@{area.code if area else '*'}" for role, area in grants]],
        },
    )
    return user
