from django.conf import settings


def kehu(request):
    return {"LANGUAGES": settings.LANGUAGES, "KEHU_PRODUCTION": settings.PRODUCTION}
