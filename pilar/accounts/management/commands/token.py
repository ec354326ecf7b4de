from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from pilar.accounts.models import ApiToken
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.lib.params import argument, clean_text


class Command(BaseCommand):
    help = (
        "Manage API tokens. `pilar token create USERNAME [--name N]` prints the new token alone "
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
        listing = sub.add_parser("list", help="list tokens (prefixes only)")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args, verb: str, **options):
        by = Actor.system()
        if verb == "create":
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None or not user.is_active:
                raise CommandError(f"no active user named {options['username']!r}")
            token, raw = ApiToken.issue(user=user, name=options["name"])
            audit_record(by=by, action=AuditEntry.Action.TOKEN, obj=token, note="created")
            self.stdout.write(f"Token {token.prefix}… for {user.username} (shown once):")
            self.stdout.write(raw)
        elif verb == "list":
            tokens = ApiToken.objects.select_related("user").order_by("created_at")
            if options["username"]:
                tokens = tokens.filter(user__username=options["username"])
            for t in tokens:
                state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "live"
                self.stdout.write(f"{t.prefix}  {t.user.username:<20} {t.name:<20} {state}")
        else:
            matches = ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True)
            if matches.count() != 1:
                raise CommandError(f"no single live token with prefix {options['prefix']!r}")
            token = matches.get()
            token.revoke()
            audit_record(by=by, action=AuditEntry.Action.TOKEN, obj=token, note="revoked")
            self.stdout.write(f"revoked {token.prefix}…")
