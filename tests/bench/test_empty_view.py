"""The floors ``make bench`` measures pages against (an empty view, an
empty signed-in page, an empty API call) are off unless the setting
BENCH_EMPTY_VIEW turns them on, and the API's is not in its schema."""

import json

import pytest

FLOORS = ("/bench/empty/", "/bench/page/", "/api/v1/bench/empty")


@pytest.mark.parametrize("path", FLOORS)
def test_each_floor_is_a_404_by_default(admin_client, settings, path):
    assert settings.BENCH_EMPTY_VIEW is False
    assert admin_client.get(path).status_code == 404


def test_with_the_setting_the_empty_view_answers_nothing(client, settings, db):
    settings.BENCH_EMPTY_VIEW = True
    response = client.get("/bench/empty/")
    assert response.status_code == 200
    assert response.content == b""


def test_with_the_setting_the_empty_page_is_the_layout_for_a_signed_in_user(
    admin_client, client, settings
):
    settings.BENCH_EMPTY_VIEW = True
    response = admin_client.get("/bench/page/")
    assert response.status_code == 200
    assert b'class="navbar' in response.content
    # Like every page, it asks for a sign-in first.
    assert client.get("/bench/page/").status_code == 302


def test_with_the_setting_the_empty_api_call_answers_a_signed_in_client_only(
    admin_client, client, settings
):
    settings.BENCH_EMPTY_VIEW = True
    response = admin_client.get("/api/v1/bench/empty")
    assert response.status_code == 200 and response.json() == {}
    assert client.get("/api/v1/bench/empty").status_code == 401


def test_the_empty_api_call_is_not_in_the_schema(client, db):
    schema = json.loads(client.get("/api/v1/openapi.json").content)
    assert not any("bench" in path for path in schema["paths"])
