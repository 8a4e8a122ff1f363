"""Every error of the API in one shape (docs/api.md, "Errors, filters, pagination and sync").

    {"error": {"code": "validation_error", "message": "…",
               "fields": {"name": [{"code": "required", "message": "…"}]}}}

`code` is machine-readable and stable; `message` is translated into the user's language (zh or en,
kehu.accounts.middleware.UserLanguageMiddleware). `fields` is there for validation errors only:
one list of {code, message} per field, nested fields named with dots ("lines.0.amount"), errors
of the whole request under "non_field_errors". A broken rule of a service may add what the
client needs to act on it: `blocking` and `matches` (a possible duplicate customer),
`open_amount` (an overpayment).

`exception_handler` is REST_FRAMEWORK["EXCEPTION_HANDLER"]; `add_error_responses` is a
postprocessing hook of drf-spectacular that declares the shape (components `Error`,
`ErrorBody`, `FieldError`) for every 4xx answer of every operation.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.views import defaults
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback


class ServiceError(exceptions.APIException):
    """A rule of a service was broken (a DomainError): 400 with its translated message, a code
    ("rule_violated" unless the rule has its own) and what else the client needs (`extra`)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "rule_violated"

    def __init__(self, message, *, code: str = "rule_violated", **extra):
        super().__init__(detail=str(message), code=code)
        self.error_code = code
        self.extra = extra


class PreconditionFailed(exceptions.APIException):
    """412: the record changed since the client read it (its If-Match no longer holds)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    @property
    def default_detail(self):  # translated when raised, in the user's language
        return _("This record changed after you read it; read it again, then send your change.")


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    @property
    def default_detail(self):
        return _("The request conflicts with the record's current state.")


def _field_errors(detail, prefix: str = "") -> dict:
    """{"a.b": [{"code", "message"}]} from DRF's nested ValidationError detail."""
    out: dict = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            out.update(_field_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list):
        plain = [d for d in detail if not isinstance(d, (dict, list))]
        if plain:
            out[prefix or "non_field_errors"] = [
                {"code": getattr(d, "code", None) or "invalid", "message": str(d)} for d in plain
            ]
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list)) and item:
                out.update(_field_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [{"code": getattr(detail, "code", None) or "invalid", "message": str(detail)}]
    return out


def error_body(exc: exceptions.APIException) -> dict:
    """The `error` object of `exc`."""
    if isinstance(exc, ServiceError):
        return {"code": exc.error_code, "message": str(exc.detail), **exc.extra}
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail)
        general = fields.get("non_field_errors")
        message = general[0]["message"] if general and len(fields) == 1 else _("The request is not valid; see the fields.")
        return {"code": "validation_error", "message": message, "fields": fields}
    detail = exc.detail
    if isinstance(detail, dict):  # an older raise with a payload: keep its message
        detail = detail.get("detail", next(iter(detail.values()), ""))
    if isinstance(detail, list):
        detail = detail[0] if detail else ""
    code = getattr(detail, "code", None) or exc.default_code
    return {"code": str(code), "message": str(detail) or str(exc.default_detail)}


def exception_handler(exc, context):
    """REST framework's EXCEPTION_HANDLER: every APIException (and Django's Http404 and
    PermissionDenied) answers {"error": {...}}; anything else is a 500 Django reports."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = "%d" % exc.wait
    set_rollback()
    return Response({"error": error_body(exc)}, status=exc.status_code, headers=headers)


def page_not_found(request, exception):
    """config.urls.handler404: under /api/ the Error shape (a client gets JSON for any URL it
    builds wrong, e.g. /api/customers/abc/), elsewhere Django's page (templates/404.html)."""
    if request.path_info.startswith("/api/"):
        body = {"error": {"code": "not_found", "message": str(exceptions.NotFound.default_detail)}}
        return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})
    return defaults.page_not_found(request, exception)


# --- the schema ----------------------------------------------------------------------------------

ERROR_COMPONENTS = {
    "FieldError": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "Machine-readable, e.g. required, invalid, invalid_choice, max_length."},
            "message": {"type": "string", "description": "Translated (zh or en, the user's language)."},
        },
        "required": ["code", "message"],
    },
    "ErrorBody": {
        "type": "object",
        "properties": {
            "code": {
                "type": "string",
                "description": "Machine-readable: validation_error, rule_violated, duplicate_customer, overpayment, "
                               "parse_error, not_authenticated, authentication_failed, permission_denied, not_found, "
                               "method_not_allowed, not_acceptable, conflict, precondition_failed, "
                               "unsupported_media_type, throttled.",
            },
            "message": {"type": "string", "description": "Translated (zh or en, the user's language)."},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
                "description": "validation_error only: the errors of each field (nested ones named with dots; "
                               "errors of the whole request under non_field_errors).",
            },
            "blocking": {"type": "boolean", "description": "duplicate_customer: true when the duplicate may not be created at all."},
            "matches": {"type": "array", "items": {"$ref": "#/components/schemas/DuplicateMatch"},
                        "description": "duplicate_customer: the customers it may duplicate."},
            "open_amount": {"type": "string", "description": "overpayment: what is open (a decimal string)."},
        },
        "required": ["code", "message"],
    },
    "Error": {
        "type": "object",
        "properties": {"error": {"$ref": "#/components/schemas/ErrorBody"}},
        "required": ["error"],
    },
    "DuplicateMatch": {
        "type": "object",
        "properties": {
            "reason": {"type": "string", "enum": ["uscc", "name", "phone"]},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "owner": {"type": "string", "nullable": True},
            "id": {"type": "integer", "nullable": True, "description": "Only when you may open that customer."},
        },
        "required": ["reason", "code", "name", "owner", "id"],
    },
}

DESCRIPTIONS = {
    "400": "The request is not valid (validation_error, with fields) or breaks a rule (rule_violated).",
    "401": "Not signed in, or the credentials are not valid.",
    "403": "You may see the record but not do this, or may not use this endpoint.",
    "404": "No such record, or you may not see it.",
    "406": "The Accept header asks for a format the API does not answer in.",
    "409": "The request conflicts with the record's current state.",
    "412": "If-Match no longer holds: the record changed since you read it; nothing was saved.",
    "415": "The request body is not JSON (or form data).",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}


def add_error_responses(result, generator, request, public):
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]: the Error components, and on every operation
    the error answers it can give, all in the Error shape."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(ERROR_COMPONENTS)
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            codes = ["400", "401", "403", "406", "429"]
            if "{" in path:
                codes.append("404")
            if "requestBody" in operation:
                codes.append("415")
            if any(p.get("in") == "header" and p.get("name") == "If-Match" for p in operation.get("parameters", [])):
                codes.append("412")
            for code in list(responses) + codes:
                if not str(code).startswith("4"):
                    continue
                answer = responses.setdefault(str(code), {})
                answer.setdefault("description", DESCRIPTIONS.get(str(code), "An error."))
                answer["content"] = ref
    return result


def json_request_bodies(result, generator, request, public):
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]: request bodies documented as JSON only. The API
    also parses form data (the browsable API's forms), but a client written against the schema
    sends JSON; three alternative media types of one body break generated clients
    (openapi-python-client 0.29 cannot import an operation whose optional body has several)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content") if isinstance(operation, dict) else None
            if content and "application/json" in content:
                operation["requestBody"]["content"] = {"application/json": content["application/json"]}
    return result
