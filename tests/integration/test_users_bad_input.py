"""test_users_bad_input - a display name is put in notification mail headers,
so one holding a control character (a CR/LF would start a new header) is
refused with a problem naming the field, and no user is created."""
from accordtest import Api, Node, check, skip_unless_built

skip_unless_built()

with Node() as n:
    token = n.init()
    n.start()
    admin = Api(n, token)
    st, body = admin.post("/v1/users", {"name": "mallory", "roles": ["earner"],
                                         "display_name": "Mallory\r\nBcc: x@example.org"})
    check(st == 400 and body["field"] == "display_name" and "0x0d" in body["detail"],
          "a display name with CR/LF is refused (400 naming display_name and the byte)")
    st, body = admin.get("/v1/users?limit=100")
    names = [u["name"] for u in body["items"]] if st == 200 else None
    check(names is not None and "mallory" not in names, "... and no user was created")
    st, body = admin.post("/v1/users", {"name": "mallory", "roles": ["earner"],
                                         "display_name": "Mallory Smith"})
    check(st == 201 and body["display_name"] == "Mallory Smith",
          "the same user with a plain display name is created")
    admin.close()
