"""The empty view ``make bench`` measures as the floor of a page is off
unless the setting BENCH_EMPTY_VIEW turns it on."""


def test_the_empty_view_is_a_404_by_default(client, settings, db):
    assert settings.BENCH_EMPTY_VIEW is False
    assert client.get("/bench/empty/").status_code == 404


def test_with_the_setting_it_answers_an_empty_page(client, settings, db):
    settings.BENCH_EMPTY_VIEW = True
    response = client.get("/bench/empty/")
    assert response.status_code == 200
    assert response.content == b""
