from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


class UserLanguageMiddleware:
    """The language of every page: the signed-in user's own choice; before login, the
    language cookie set by the switch; otherwise Simplified Chinese (LANGUAGE_CODE).

    The browser's Accept-Language is deliberately not consulted: Kehu is Chinese by
    default for everyone, whatever language the browser happens to be set to.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = settings.LANGUAGE_CODE
        if user is not None and user.is_authenticated and user.language in self.supported:
            language = user.language
        elif request.COOKIES.get(LANGUAGE_COOKIE) in self.supported:
            language = request.COOKIES[LANGUAGE_COOKIE]
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
