"""The main menu (templates/base.html) lists each page once (issue 10 item 22: the admin saw
the scoring settings and the tier policies both under 排名 and under 设置)."""

import re

import pytest
from django.urls import reverse


def _menu(client) -> str:
    html = client.get(reverse("customers:list")).content.decode()
    return re.search(r'<nav class="navbar.*?</nav>', html, re.S).group(0)


@pytest.mark.parametrize("who", ["admin", "director", "rep_a", "finance"])
def test_every_menu_entry_appears_once(login, request, who):
    menu = _menu(login(request.getfixturevalue(who)))
    links = [href for href in re.findall(r'<a class="(?:dropdown-item|nav-link)[^"]*" href="([^"#]+)"', menu)]
    assert links, "the menu has links"
    assert len(links) == len(set(links)), sorted(h for h in links if links.count(h) > 1)


def test_admin_finds_the_ranking_settings_under_settings(login, admin):
    menu = _menu(login(admin))
    assert menu.count(f'href="{reverse("ranking:settings")}"') == 1
    assert menu.count(f'href="{reverse("ranking:policies")}"') == 1
    settings_menu = menu[menu.index('data-testid="nav-settings"'):]
    assert reverse("ranking:settings") in settings_menu and reverse("ranking:policies") in settings_menu


def test_managers_see_no_admin_only_entry(login, director):
    menu = _menu(login(director))
    assert reverse("ranking:settings") not in menu and reverse("ranking:policies") not in menu
