"""Personal access tokens on the API: `Authorization: Bearer <token>` (or `Token <token>`).

- A live token signs its user in, with exactly the user's visibility and permissions.
- A read-only token gets 403 on any method that is not GET, HEAD or OPTIONS.
- A revoked, expired or unknown token (or one of a disabled user) gets 401.
- No credentials at all: 401 with `WWW-Authenticate: Bearer` (this class is the first of
  DEFAULT_AUTHENTICATION_CLASSES, so DRF asks it for the header).
Session sign-in stays for the pages and the browsable API, with its CSRF check.
The tokens themselves: kehu/accounts/tokens.py.
"""

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from kehu.accounts.tokens import access_token_authenticate

KEYWORDS = {"bearer", "token"}


class AccessTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in KEYWORDS:
            return None  # not ours: the session may sign the request in
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: give one token after Bearer."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token.")) from None
        token = access_token_authenticate(raw=raw)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        user = token.user
        # The API speaks the token user's language, as the pages speak the signed-in user's.
        translation.activate(user.language)
        request.LANGUAGE_CODE = translation.get_language()
        if token.is_read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(_("This token is read-only."))
        return (user, token)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "kehu.api.authentication.AccessTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(_(
                "A personal access token, made on your settings page: `Authorization: Bearer kehu_…` "
                "(`Token kehu_…` works too). A read-only token may only read."
            )),
        }
