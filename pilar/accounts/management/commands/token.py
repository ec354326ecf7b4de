import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.models import ApiToken
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.lib.params import MAX_DATE, InputError, argument, clean_text, parse_date, parse_int

MAX_DAYS = 3660  # ten years


class Command(BaseCommand):
    help = (
        "Manage API tokens. `pilar token create USERNAME [--name N] "
        "[--expires YYYY-MM-DD | --days N]` prints the new token alone "
        "on its last line (it is shown only once); `pilar token list [USERNAME]`; "
        "`pilar token revoke PREFIX`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="issue a token for a user")
        create.add_argument("username")
        create.add_argument(
            "--name",
            default="",
            type=argument(
                clean_text, "--name", max_length=ApiToken._meta.get_field("name").max_length
            ),
            help="what the token is for",
        )
        expiry = create.add_mutually_exclusive_group()
        expiry.add_argument(
            "--expires", metavar="YYYY-MM-DD", help="the last day the token works (local time)"
        )
        expiry.add_argument("--days", metavar="N", help="the token works for N days from now")
        listing = sub.add_parser("list", help="list tokens (prefixes only)")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args, verb: str, **options):
        by = Actor.system()
        if verb == "create":
            user = self.user(options["username"])
            expires_at = self.expiry(options["expires"], options["days"])
            token, raw = ApiToken.issue(user=user, name=options["name"], expires_at=expires_at)
            note = "created" + (f", expires {expires_at.isoformat()}" if expires_at else "")
            audit_record(by=by, action=AuditEntry.Action.TOKEN, obj=token, note=note)
            if expires_at:
                line = _("Token %(prefix)s… for %(user)s, works until %(until)s (shown once):")
            else:
                line = _("Token %(prefix)s… for %(user)s (shown once):")
            self.stdout.write(
                line
                % {
                    "prefix": token.prefix,
                    "user": user.username,
                    "until": self.when(expires_at) if expires_at else "",
                }
            )
            self.stdout.write(raw)
        elif verb == "list":
            # By user, then oldest first: one user's tokens together.
            tokens = ApiToken.objects.select_related("user").order_by(
                "user__username", "created_at", "pk"
            )
            if options["username"]:
                tokens = tokens.filter(user=self.user(options["username"], active=False))
            shown = 0
            for t in tokens:
                if t.revoked_at:
                    state = _("revoked %(day)s") % {"day": f"{t.revoked_at:%Y-%m-%d}"}
                elif t.has_expired():
                    state = _("expired %(when)s") % {"when": self.when(t.expires_at)}
                elif t.expires_at:
                    state = _("live until %(when)s") % {"when": self.when(t.expires_at)}
                else:
                    state = _("live")
                self.stdout.write(f"{t.prefix}  {t.user.username:<20} {t.name:<20} {state}")
                shown += 1
            if not shown:
                self.stdout.write(_("No tokens."))
        else:
            prefix = options["prefix"].strip().rstrip("…")
            matches = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True)
            if matches.count() != 1:
                raise CommandError(
                    _(
                        "No single live token has the prefix %(prefix)r; `pilar token list` "
                        "shows the prefixes."
                    )
                    % {"prefix": options["prefix"]}
                )
            token = matches.get()
            token.revoke()
            audit_record(by=by, action=AuditEntry.Action.TOKEN, obj=token, note="revoked")
            self.stdout.write(_("Revoked %(prefix)s….") % {"prefix": token.prefix})

    @staticmethod
    def user(username: str, *, active: bool = True):
        """The user named `username`, in any case (Operator1 = operator1) when that names one
        user only; CommandError otherwise."""
        users = get_user_model().objects
        user = users.filter(username=username).first()
        if user is None:
            found = list(users.filter(username__iexact=username)[:2])
            user = found[0] if len(found) == 1 else None
        if user is None or (active and not user.is_active):
            raise CommandError(
                (_("No active user named %(name)r.") if active else _("No user named %(name)r."))
                % {"name": username}
            )
        return user

    @staticmethod
    def when(moment: datetime.datetime) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")

    @staticmethod
    def expiry(expires: str | None, days: str | None) -> datetime.datetime | None:
        """The moment the token stops working: the midnight that ends `expires` (local time), or
        `days` days from now."""
        today = timezone.localdate()
        try:
            if expires is not None:
                last = parse_date(expires, "--expires", low=today, high=MAX_DATE)
                midnight = datetime.datetime.combine(
                    last + datetime.timedelta(days=1), datetime.time()
                )
                return timezone.make_aware(midnight)
            if days is not None:
                n = parse_int(days, "--days", low=1, high=MAX_DAYS)
                return timezone.now() + datetime.timedelta(days=n)
        except InputError as error:
            raise CommandError(error.message_text) from None
        return None
