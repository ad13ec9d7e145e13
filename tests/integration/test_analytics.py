"""test_analytics - the issuer's analytics endpoints on a real node: JSON, CSV
(parsed with Python's csv module) and SVG charts (parsed with xml.etree, an
independent XML parser; rendered with rsvg-convert when it is installed).

The credential is authored through the lifecycle API from
conf/definitions/formative-feedback-associate.json. It has no submissions
yet, so the figures are the empty-state ones: zero volume, undefined rates
and statistics that say why, charts that say "no data yet". Access is
admin-only, and bad requests get problem+json naming the field.
"""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from accordtest import SOURCE, Node, check, h2_client, skip_unless_built

SVG_NS = "{http://www.w3.org/2000/svg}"


def main():
    skip_unless_built()
    with open(os.path.join(SOURCE, "conf", "definitions",
                           "formative-feedback-associate.json")) as f:
        definition = json.load(f)
    definition.pop("state", None)
    cred = definition["id"]
    with Node() as n, h2_client() as c:
        admin = n.init()
        n.start()
        auth = {"authorization": "Bearer " + admin}
        r = c.post(n.url + "/v1/definitions", headers=auth, json=definition)
        check(r.status_code == 201, "the admin authors a credential (%d %s)"
              % (r.status_code, r.text[:200]))
        r = c.post(n.url + "/v1/users", headers=auth,
                   json={"name": "teacher", "roles": ["earner"]})
        t = c.post(n.url + "/v1/users/%d/tokens" % r.json()["id"], headers=auth, json={})
        earner = {"authorization": "Bearer " + t.json()["token"]}
        base = n.url + "/v1/analytics/credentials/" + cred

        r = c.get(base, headers=auth)
        j = r.json()
        check(r.status_code == 200 and j["credential_id"] == cred and j["submissions"] == 0,
              "per-credential analytics answer for a credential with no submissions")
        check(j["pass_rate"] is None and j["discrepancy_rate"] is None,
              "rates with nothing to divide are null, not zero")
        check(j["agreement"]["krippendorff_alpha_ordinal"]["value"] is None
              and j["agreement"]["krippendorff_alpha_ordinal"]["why"],
              "an undefined agreement statistic says why")

        r = c.get(base + "?format=csv", headers=auth)
        rows = list(csv.DictReader(io.StringIO(r.text)))
        check(r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
              and len(rows) == 1 and rows[0]["credential_id"] == cred
              and rows[0]["submissions"] == "0" and "fleiss_kappa" in rows[0],
              "the CSV form has a header and one row per credential")

        r = c.get(base + "/reviewers", headers=auth)
        check(r.status_code == 200 and r.json()["items"] == [],
              "per-reviewer analytics list no reviewers before any assignment")
        r = c.get(base + "/reviewers?format=csv", headers=auth)
        header = next(csv.reader(io.StringIO(r.text)))
        check(header[:4] == ["reviewer_id", "open", "done", "declined_or_expired"]
              and "severity_z" in header, "the reviewers CSV names its columns")

        for chart in ("severity", "agreement"):
            r = c.get(base + "/%s.svg" % chart, headers=auth)
            check(r.status_code == 200 and r.headers["content-type"] == "image/svg+xml",
                  "%s.svg is served as image/svg+xml" % chart)
            root = ET.fromstring(r.content)
            check(root.tag == SVG_NS + "svg", "%s.svg parses as XML with an svg root" % chart)
            texts = [e.text for e in root.iter(SVG_NS + "text")]
            check("no data yet" in texts and any(cred in (t or "") for t in texts),
                  "%s.svg names the credential and says there is no data yet" % chart)
            conv = shutil.which("rsvg-convert")
            if conv:
                with tempfile.TemporaryDirectory() as d:
                    svg = os.path.join(d, "c.svg")
                    with open(svg, "wb") as f:
                        f.write(r.content)
                    p = subprocess.run([conv, svg, "-o", os.path.join(d, "c.png")],
                                       capture_output=True, timeout=60)
                    check(p.returncode == 0, "rsvg-convert renders %s.svg" % chart)

        r = n.ctl("analytics", "credential", cred, token=admin, json_out=True)
        check(r.returncode == 0 and r.json["credential_id"] == cred,
              "accordctl analytics credential prints the figures")
        r = n.ctl("analytics", "reviewers", "no-such-credential", token=admin)
        check(r.returncode == 1, "accordctl analytics on an unknown credential exits 1")

        r = c.get(base, headers=earner)
        check(r.status_code == 403, "an earner cannot read analytics")
        r = c.get(n.url + "/v1/analytics/credentials/no-such-credential", headers=auth)
        check(r.status_code == 404, "an unknown credential is 404")
        r = c.get(base + "?format=xml", headers=auth)
        check(r.status_code == 400 and r.json()["field"] == "format",
              "an unknown format is refused naming the field")
    return 0


if __name__ == "__main__":
    sys.exit(main())
