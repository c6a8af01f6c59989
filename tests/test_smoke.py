def test_register_login_bind_boot(api):
    user_id, token = api.user()
    toy_id, toy_token = api.toy(token)
    toys = api.ok("/toy_list", token)
    assert [t["_id"] for t in toys] == [toy_id]
