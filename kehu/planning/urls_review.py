"""/planning/ pages: the roll-up with the managers' adjustments, the Friday review."""

from django.urls import path

from kehu.planning.views import review

urlpatterns: list = [
    path("rollup/", review.rollup_view, name="rollup"),
    path("rollup/adjust/<int:pk>/", review.adjust_view, name="adjust"),
    path("review/", review.review_view, name="review"),
]
