"""DRF's browsable API under Kehu's Content-Security-Policy (kehu/core/middleware.py)."""

from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """The browsable API without the inline <style> of code colours DRF adds when pygments is
    installed (it is with the test tools): the policy refuses inline style elements."""

    def get_context(self, *args, **kwargs):
        context = super().get_context(*args, **kwargs)
        context["code_style"] = None
        return context
