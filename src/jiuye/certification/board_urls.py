"""The public notice boards (公示牌): ``/board/<unit code>/`` and ``/board/<unit code>.pdf``,
without login (DESIGN.md "Interfaces")."""

from django.urls import path

from jiuye.certification import board_views

app_name = "board"

urlpatterns = [
    path("<str:code>.pdf", board_views.board_pdf, name="pdf"),
    path("<str:code>/", board_views.board, name="board"),
]
