"""Security headers on every response Django makes (static files are served before this runs).

- Content-Security-Policy: everything Kehu uses is vendored, so only our own origin. No inline
  script and no inline event handler (behaviour lives in static/kehu/*.js, data comes through
  data-* attributes or json_script); no <style> element. Inline style *attributes* are allowed
  (`style-src-attr 'unsafe-inline'`): ECharts' tooltips and Bootstrap's popper position
  themselves with them, and an attribute cannot run script or select other elements.
- Permissions-Policy: device and payment APIs off; Kehu uses none.
- Cache-Control: no-store on what a signed-in user sees and on the whole API, so a shared
  computer's browser cache or a proxy never keeps customer data.

docs/operations.md ("Security headers") says the same for operators.
"""

from django.utils.cache import add_never_cache_headers

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
        "microphone", "midi", "payment", "usb",
    )
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if request.path_info.startswith("/api/") or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response
