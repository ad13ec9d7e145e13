"""test_artifact_rights - the rights to an artifact belong to each uploader of
its bytes, not to whoever uploaded them first: a second earner who uploads the
same bytes gets an answer that does not reveal the first upload and can read
them back with the media type it gave (citing them in a submission checks the
same per-uploader row, node/review/submissions.c); storage holds one file.
Media types must be RFC 6838 type/subtype (CR/LF and parameters refused), and
downloads are served as attachments without type sniffing."""
import hashlib
import os

from accordtest import Api, Node, check, skip_unless_built
from lifecycle import new_user

skip_unless_built()


def upload(api, data, media_type=None):
    path = "/v1/artifacts"
    if media_type is not None:
        from urllib.parse import quote
        path += "?media_type=" + quote(media_type, safe="")
    r = api.client.post(api.node.url + path, content=data,
                        headers={"authorization": "Bearer " + api.token,
                                 "content-type": "application/octet-stream"})
    return r.status_code, (r.json() if r.content else None)


def download(api, digest):
    return api.client.get(api.node.url + "/v1/artifacts/" + digest,
                          headers={"authorization": "Bearer " + api.token})


with Node() as n:
    token = n.init()
    n.start()
    admin = Api(n, token)
    _, first, _ = new_user(n, admin, "fiona", ["earner"])
    _, second, _ = new_user(n, admin, "sam", ["earner"])
    _, third, _ = new_user(n, admin, "theo", ["earner"])
    work = b"The same lesson video, byte for byte.\n" * 64
    digest = hashlib.sha256(work).hexdigest()  # computed here, not by the node

    st, a = upload(first, work, "text/plain")
    check(st == 201 and a["sha256"] == digest and a["media_type"] == "text/plain",
          "the first earner's upload is stored under its SHA-256")
    st, b = upload(second, work, "video/mp4")
    check(st == 201 and b == {"sha256": digest, "size": len(work), "media_type": "video/mp4"},
          "the second earner's upload of the same bytes answers with its own upload only "
          "(nothing says someone uploaded them first)")
    r = download(second, digest)
    check(r.status_code == 200 and r.content == work
          and r.headers["content-type"] == "video/mp4",
          "the second earner reads the bytes back with the media type it gave")
    r = download(first, digest)
    check(r.status_code == 200 and r.headers["content-type"] == "text/plain",
          "the first earner still reads them with its own media type")
    check(download(third, digest).status_code == 404,
          "an earner who never uploaded them cannot read them (404, as if absent)")
    files = [f for _, _, fs in os.walk(os.path.join(n.data_dir, "artifacts")) for f in fs
             if not f.endswith(".tmp")]
    check(files.count(digest) == 1 or sum(digest in f for f in files) == 1,
          "storage holds the bytes once")

    r = download(first, digest)
    check(r.headers.get("content-disposition", "").startswith("attachment")
          and r.headers.get("x-content-type-options") == "nosniff",
          "a download is an attachment and forbids type sniffing")

    for bad, why in [("text/plain\r\nx-evil: 1", "CR/LF"), ("text/html; charset=utf-8",
                     "parameters"), ("text", "no subtype"), ("text/ html", "a space"),
                     ("/plain", "an empty type")]:
        st, p = upload(third, work, bad)
        check(st == 400 and p["field"] == "media_type" and "RFC 6838" in p["detail"],
              "a media type with %s is refused (400 naming media_type)" % why)
    check(download(third, digest).status_code == 404, "... and gave no right to the bytes")
    st, p = upload(third, work, "text/html")
    r = download(third, digest)
    check(st == 201 and r.headers["content-type"] == "text/html"
          and r.headers["content-disposition"].startswith("attachment"),
          "text/html is a valid type, but it is served as an attachment, never rendered")
print("all passed")
