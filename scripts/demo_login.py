"""Wait for the demo server, log in as the demo community worker and open the home page
(scripts/demo-smoke.sh). Standard library only: it runs before anything else is trusted."""

from __future__ import annotations

import http.cookiejar
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

PASSWORD = "Jiuye-Demo-2026"  # the demo accounts' password, as make demo prints it
WAIT_SECONDS = 900  # installing the packages and seeding 20,000 persons on a slow machine


def main(base: str, pid: int) -> int:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"{base}/accounts/login/"
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            page = opener.open(login, timeout=10).read().decode()
            break
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline or not _alive(pid):
                print(f"make demo did not serve {login}")
                return 1
            time.sleep(2)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        print("the login page has no CSRF token")
        return 1
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": "community_worker",
            "password": PASSWORD,
        }
    ).encode()
    request = urllib.request.Request(login, data=form, headers={"Referer": login})
    response = opener.open(request, timeout=30)
    home = opener.open(f"{base}/", timeout=60)
    body = home.read().decode()
    if home.status != 200 or "/accounts/login/" in home.url or "退出" not in body:
        print(f"not logged in: {response.url} then {home.url} ({home.status})")
        return 1
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
