def test_login_page_is_chinese(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "登录账号" in response.content.decode()


def test_org_tree_lists_the_zone(world, login):
    client = login(world["zone_admin"])
    response = client.get("/orgs/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "甲高新区党工委" in body
    assert "乙高新区" not in body
