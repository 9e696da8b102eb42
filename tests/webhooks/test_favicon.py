"""The site's icon: every page links one that is served, and /favicon.ico answers too."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

ICON_LINK = re.compile(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">')


def test_favicon_ico_is_served_so_browsers_log_no_404(contract_client: TestClient) -> None:
    response = contract_client.get("/favicon.ico")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.text.startswith("<svg ")


def test_the_chat_and_signing_pages_link_an_icon_that_is_served(
    contract_client: TestClient, contract_token: str
) -> None:
    for path in ("/chat", f"/contracts/{contract_token}"):
        page = contract_client.get(path)
        [href] = ICON_LINK.findall(page.text)

        icon = contract_client.get(href)

        assert (path, icon.status_code) == (path, 200)
        assert icon.headers["content-type"] == "image/svg+xml"
