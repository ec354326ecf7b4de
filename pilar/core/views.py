from django.http import HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from pilar.core.requestid import current


@requires_csrf_token
def server_error(request, template_name: str = "500.html"):
    """Django's 500 page, plus the request's id for the user to quote (docs/DEPLOY.md,
    "Errors"). Like Django's, rendered without context processors: they may be what failed."""
    request_id = getattr(request, "request_id", None) or current()
    try:
        body = loader.get_template(template_name).render({"request_id": request_id})
    except Exception:  # the template itself broken: a plain line still tells what happened
        body = "<h1>Server Error (500)</h1>"
        if request_id:
            body += f"<p>{request_id}</p>"  # a plain token (pilar/core/requestid.py)
    return HttpResponseServerError(body)
