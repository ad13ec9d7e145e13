"""The pages in a real headless chromium (selenium) against a real node over
TLS: a teacher signs in keyboard-only, reads the catalog, submits evidence
with a file and sees the submission; an issuer revokes a record and sees its
status; an expert scores a benchmark item. On every
screen visited axe-core reports no WCAG 2.2 A/AA violation and the page has
no horizontal scroll at 320 px. A display name holding <script> renders as
text. A reviewer accepts the batch and scores it; the teacher then reads the
feedback and downloads the credential, which the issuer revokes; a
recognizer verifies a valid, the revoked and a forged credential.
Screenshots go to the test's output folder on failure."""
import json
import os
import shutil
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from accordtest import Api, Node, check, make_self_signed, skip, skip_unless_built, BUILD  # noqa: E402
from lifecycle import active_credential, load_definition  # noqa: E402

skip_unless_built()
CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
AXE = os.path.join(os.path.dirname(__file__), "npm", "node_modules", "axe-core", "axe.min.js")
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    skip("python3-selenium is not installed (tools/setup.sh installs it)")
if not CHROMIUM or not DRIVER:
    skip("chromium or chromedriver is not installed (tools/setup.sh installs them)")
if not os.path.exists(AXE):
    skip("axe-core is not installed in tests/web/npm (tools/setup.sh installs it)")

OUT = os.path.join(BUILD, "tests", "web-output")
PASSWORD = "a long enough password"
FEEDBACK = "<b>Clear criteria</b> & a real revision"


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--ignore-certificate-errors", "--window-size=1024,800", "--no-first-run"):
        o.add_argument(a)
    d = webdriver.Chrome(service=Service(DRIVER), options=o)
    d.set_page_load_timeout(20)
    d.set_script_timeout(30)
    return d


class Pages:
    def __init__(self, d, node):
        self.d = d
        self.node = node
        with open(AXE) as f:
            self.axe = f.read()
        self.visited = set()

    def wait(self, cond, what, timeout=15):
        try:
            return WebDriverWait(self.d, timeout).until(lambda d: cond(d))
        except Exception:
            raise AssertionError("timed out waiting for " + what)

    def text(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css).text

    def audit(self, name):
        """axe (WCAG 2.0/2.1/2.2 A and AA) and reflow at 320 px on this screen."""
        self.d.execute_script(self.axe)
        res = self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',"
            " 'wcag21aa', 'wcag22aa']}}).then(r => done(r.violations.map(v => v.id + ': ' +"
            " v.nodes.map(n => n.target.join(' ')).join(', '))), e => done(['axe: ' + e]));")
        check(res == [], "%s: axe reports no WCAG 2.2 A/AA violation %s" % (name, res))
        self.d.set_window_size(320, 800)
        time.sleep(0.3)
        over = self.d.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
        self.d.set_window_size(1024, 800)
        check(over <= 0, "%s: no horizontal scroll at 320 px (overflow %s px)" % (name, over))

    def open(self, path, ready_css):
        self.d.get(self.node.url + path)
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ready_css), ready_css + " on " + path)


def tab_to(p, want, what, limit=60):
    """Presses Tab until the focused element satisfies |want|; returns it."""
    for _ in range(limit):
        # Keys go to whatever has focus, as a person's would (an element's
        # send_keys on a file input would take them as a file name).
        ActionChains(p.d).send_keys(Keys.TAB).perform()
        e = p.d.switch_to.active_element
        if want(e):
            return e
    raise AssertionError("%s is not reachable with Tab" % what)


def sign_in_keyboard(p, name, password):
    """Only the keyboard: Tab to each field, type, Enter."""
    p.open("/", "#signin")
    body = p.d.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the skip link
    active = p.d.switch_to.active_element
    for _ in range(6):
        if active.get_attribute("id") == "name":
            break
        active.send_keys(Keys.TAB)
        active = p.d.switch_to.active_element
    check(active.get_attribute("id") == "name", "the name field is reached with Tab")
    active.send_keys(name, Keys.TAB)
    p.d.switch_to.active_element.send_keys(password, Keys.ENTER)
    p.wait(lambda d: d.current_url.endswith("/home.html") and d.find_elements(By.CSS_SELECTOR, "#roles li"),
           "the home page after sign-in")


def sign_in(p, name, password):
    p.open("/", "#signin")
    p.d.find_element(By.ID, "name").send_keys(name)
    p.d.find_element(By.ID, "password").send_keys(password, Keys.ENTER)
    p.wait(lambda d: d.current_url.endswith("/home.html") and d.find_elements(By.CSS_SELECTOR, "#roles li"),
           "home after sign-in")


def sign_out(p):
    p.wait(lambda d: d.find_elements(By.ID, "sign-out"), "the sign-out button")
    p.d.find_element(By.ID, "sign-out").click()
    p.wait(lambda d: d.find_elements(By.ID, "signin"), "the sign-in page after sign-out")


def journeys(p, n, admin_token, files_dir):
    admin = Api(n, admin_token)
    d = load_definition()
    cred = active_credential(n, admin_token, d, reviewers=2)
    # A teacher whose display name is markup: it must render as text.
    st, t = admin.post("/v1/users", {"name": "tina", "display_name": "<script>alert(1)</script>Tina",
                                     "roles": ["earner"]})
    assert st == 201, t
    assert admin.put("/v1/users/%d/password" % t["id"], {"password": PASSWORD})[0] == 200

    # ---- the sign-in page, and a wrong password shown beside the field
    p.open("/", "#signin")
    p.audit("sign-in")
    p.d.find_element(By.ID, "name").send_keys("tina")
    p.d.find_element(By.ID, "password").send_keys("not the password", Keys.ENTER)
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#password-error"), "the error beside the password")
    check("wrong" in p.text("#password-error"), "a refused sign-in is shown beside the password field")

    # ---- teacher, keyboard only to sign in
    sign_in_keyboard(p, "tina", PASSWORD)
    who = p.text("nav .who")
    check("<script>alert(1)</script>Tina" in who and not p.d.find_elements(By.CSS_SELECTOR, "nav script"),
          "a display name holding <script> renders as text")
    p.audit("home")
    # The whole teacher journey by keyboard: Tab to each control, type, Enter.
    tab_to(p, lambda e: e.tag_name == "a" and e.text == "Teacher", "the Teacher link").send_keys(Keys.ENTER)
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#catalog article"), "the catalog")
    check(d["title"] in p.text("#catalog"), "the catalog lists the active credential")
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "fieldset[data-element]"), "the evidence form")
    p.audit("teacher")
    evidence = os.path.join(files_dir, "lesson-plan.txt")
    with open(evidence, "w") as f:
        f.write("Success criteria shared with students before drafting.\n")
    # A file chooser is the browser's own dialog, which no test can drive;
    # the focused file input takes the path as the dialog would give it.
    tab_to(p, lambda e: e.get_attribute("id") == "file-criteria", "the criteria file input").send_keys(evidence)
    tab_to(p, lambda e: e.get_attribute("id") == "text-reflection", "the reflection text").send_keys(
        "Students revised using the feedback.")
    tab_to(p, lambda e: e.tag_name == "button" and e.text == "Submit", "the Submit button").send_keys(Keys.ENTER)
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#submissions article[data-submission]"),
           "the new submission in my submissions")
    check("Status:" in p.text("#submissions article"), "my submissions show the new one with its status")
    sid = int(p.d.find_element(By.CSS_SELECTOR, "#submissions article").get_attribute("data-submission"))
    st, sub = admin.get("/v1/submissions/%d" % sid)
    check(st == 200 and any("artifact" in e for e in sub["elements"]),
          "the submission carries the uploaded file as an artifact")
    sign_out(p)

    # ---- recognizer: a valid, a revoked and a forged credential
    # Before the test clock moves: the browser checks iat against its own clock.
    def issue():
        st, r = admin.post("/v1/credentials/issue", {
            "email": "tina@district.example", "definition_id": d["id"], "definition_version": d["version"],
            "content_hash": "ab" * 32, "achieved_level": "pass", "ceu_hundredths": 100})
        assert st == 201, r
        return r["id"]
    fresh, gone = issue(), issue()
    assert admin.post("/v1/credentials/%d/revoke" % gone, {"reason": "issued in error"})[0] == 200

    def fetch_bytes(path):
        # Records are read by their earner or an admin (issue 12 item 4).
        r = admin.client.get(n.url + path, headers={"authorization": "Bearer " + admin.token})
        assert r.status_code == 200, (path, r.status_code)
        return r.content

    files = {}
    for label, data in (("valid", fetch_bytes("/v1/credentials/%d/bundle" % fresh)),
                        ("revoked", fetch_bytes("/v1/credentials/%d/bundle" % gone))):
        files[label] = os.path.join(files_dir, label + ".bundle")
        with open(files[label], "wb") as f:
            f.write(data)
    forged = bytearray(fetch_bytes("/v1/credentials/%d" % fresh))
    forged[-1] ^= 0x01  # the last byte of the Ed25519 signature
    files["forged"] = os.path.join(files_dir, "forged.cose")
    with open(files["forged"], "wb") as f:
        f.write(forged)
    st, v = admin.post("/v1/users", {"name": "rita", "roles": ["recognizer"]})
    admin.put("/v1/users/%d/password" % v["id"], {"password": PASSWORD})
    # A recognizer's node asks only issuers its policies count.
    rita = admin.post("/v1/users/%d/tokens" % v["id"], {"label": "policy"})[1]["token"]
    st, pol = Api(n, rita).post("/v1/recognition/policies", {
        "credential_id": d["id"], "purpose": "ceu", "ceus": 100})
    assert st == 201, pol
    sign_in(p, "rita", PASSWORD)
    p.d.find_element(By.LINK_TEXT, "Recognizer").click()
    p.wait(lambda d: d.find_elements(By.ID, "verify-form"), "the verification form")
    p.audit("recognizer")
    want = {"valid": ("valid", None), "revoked": ("invalid", "status"), "forged": ("invalid", "signature")}
    for label in ("valid", "revoked", "forged"):
        teacher = p.d.find_element(By.ID, "teacher")
        teacher.clear()
        teacher.send_keys("t-1042")
        email = p.d.find_element(By.ID, "email")
        email.clear()
        email.send_keys("tina@district.example")
        p.d.find_element(By.ID, "file").send_keys(files[label])
        p.d.find_element(By.CSS_SELECTOR, "#verify-form button[type=submit]").click()
        p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#verdict") and
               ("Recorded" in d.find_element(By.ID, "result").text), "the verdict of the " + label + " one")
        verdict, failing = want[label]
        got = p.text("#verdict")
        fails = [r.get_attribute("data-check") for r in p.d.find_elements(By.CSS_SELECTOR, "#result tr[data-check]")
                 if r.find_element(By.CSS_SELECTOR, "td").text == "fail"]
        check(got == verdict and (failing in fails if failing else not fails),
              "the %s credential is %s (failed checks: %s)" % (label, verdict, fails))
        if label == "valid":
            p.audit("recognizer verdict")
        p.d.execute_script("document.getElementById('result').replaceChildren()")
    sign_out(p)

    # ---- reviewer: the batch arrives after the batch timer (test clock)
    st, r = admin.post("/v1/test/clock", {"advance_seconds": 49 * 3600})
    check(st == 200, "the test clock moves past the batch timer")
    (r1, r1api, _), (r2, r2api, _) = cred.reviewers[0], cred.reviewers[1]
    p.wait(lambda d: all(any(b["state"] == "invited" for b in api.get("/v1/reviews/batches")[1]["items"])
                         for api in (r1api, r2api)), "both reviewers invited", timeout=20)
    users = {u["id"]: u["name"] for u in admin.get("/v1/users?limit=200")[1]["items"]}
    admin.put("/v1/users/%d/password" % r1, {"password": PASSWORD})
    sign_in(p, users[r1], PASSWORD)
    p.d.find_element(By.LINK_TEXT, "Reviewer").click()
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#batches article[data-batch]"), "the invitations")
    p.audit("reviewer invitations")
    p.d.find_element(By.XPATH, "//button[starts-with(normalize-space(.), 'Accept batch')]").click()
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "button[data-assignment]"), "the accepted assignments")
    scored = 0
    while True:
        buttons = p.d.find_elements(By.CSS_SELECTOR, "button[data-assignment]")
        if not buttons:
            break
        buttons[0].click()
        p.wait(lambda d: d.find_elements(By.ID, "score-form"), "the review screen")
        if scored == 0:
            p.audit("review screen")
        Select(p.d.find_element(By.ID, "score-level")).select_by_visible_text("pass")
        p.d.find_element(By.ID, "score-feedback").send_keys(FEEDBACK)
        p.d.find_element(By.CSS_SELECTOR, "#score-form button[type=submit]").click()
        p.wait(lambda d: not d.find_elements(By.ID, "score-form"), "the score accepted")
        scored += 1
        assert scored < 20, "more assignments than a batch holds"
    check(scored >= 1, "the reviewer accepts the batch and scores %d assignment(s) from the page" % scored)
    sign_out(p)
    for b in r2api.get("/v1/reviews/batches")[1]["items"]:
        if b["state"] == "invited":
            assert r2api.post("/v1/reviews/batches/%d/accept" % b["id"])[0] == 200
    for b in r2api.get("/v1/reviews/batches")[1]["items"]:
        for it in b["items"]:
            if it["state"] == "accepted":
                st, r = r2api.post("/v1/reviews/assignments/%d/score" % it["assignment"],
                                   {"level": "pass", "feedback": "Well done."})
                assert st == 200, r
    p.wait(lambda d: admin.get("/v1/submissions/%d" % sid)[1].get("record"), "the record issued", timeout=20)

    # ---- teacher again: the outcome, the feedback as text, the downloads
    sign_in(p, "tina", PASSWORD)
    p.d.find_element(By.LINK_TEXT, "Teacher").click()
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#credentials article[data-record]"), "my credentials")
    fb = p.text("#submissions .feedback")
    check(FEEDBACK in fb and not p.d.find_elements(By.CSS_SELECTOR, "#submissions .feedback b"),
          "the teacher reads the reviewers' feedback, markup shown as text")
    check("(passed)" in p.text("#submissions article"), "the submission shows it passed")
    p.audit("teacher with a credential")
    record = int(p.d.find_element(By.CSS_SELECTOR, "#credentials article").get_attribute("data-record"))
    links = [a.get_attribute("href") for a in p.d.find_elements(By.CSS_SELECTOR, "#credentials a")]
    got = p.d.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "Promise.all(arguments[0].map(u => fetch(u).then(r => [r.status, r.headers.get('content-type')])))"
        ".then(done, e => done(String(e)));", links)
    check(all(s == 200 for s, _ in got) and any("cbor" in (t or "") for _, t in got)
          and any("cose" in (t or "") for _, t in got) and any("png" in (t or "") for _, t in got),
          "the bundle, the COSE record, the summary and the QR code download (%s)" % got)
    qr_ok = p.d.execute_script("const i = document.querySelector('#credentials img.qr');"
                               " return i && i.complete && i.naturalWidth > 0;")
    check(qr_ok, "the credential's QR code is shown")
    sign_out(p)

    # ---- issuer: users, definitions, records
    st, a = admin.post("/v1/users", {"name": "ida", "roles": ["admin"]})
    admin.put("/v1/users/%d/password" % a["id"], {"password": PASSWORD})
    rec = {"id": record}
    sign_in(p, "ida", PASSWORD)
    p.d.find_element(By.LINK_TEXT, "Issuer").click()
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#users tr[data-user]"), "the users table")
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#definitions article"), "the definitions")
    p.audit("issuer")
    bad = dict(load_definition(), id="bad-def")
    bad["scoring"] = dict(bad["scoring"], levels=["pass", "pass"], passing_level="<script>x</script>")
    p.d.find_element(By.ID, "definition").send_keys(json.dumps(bad))
    p.d.find_element(By.CSS_SELECTOR, "#new-definition button").click()
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#definition-error li"), "the definition's problems")
    problems = [li.text for li in p.d.find_elements(By.CSS_SELECTOR, "#definition-error li")]
    check(any(t.startswith("scoring.levels[1]:") for t in problems)
          and any(t.startswith("scoring.passing_level:") and "<script>x</script>" in t for t in problems),
          "every validation problem of a definition is listed beside the editor: %s" % problems)
    p.audit("issuer with definition problems")
    p.d.find_element(By.ID, "record-id").send_keys(str(rec["id"]))
    p.d.find_element(By.ID, "record-reason").send_keys("issued in error")
    p.d.find_element(By.CSS_SELECTOR, "#record-action button").click()
    p.wait(lambda d: "revoked" in d.find_element(By.ID, "record-result").text, "the revoked status")
    check(True, "the issuer revokes a record from the page and sees it revoked")
    p.d.find_element(By.ID, "record-reason").clear()
    p.d.find_element(By.ID, "record-reason").send_keys("again")
    p.d.find_element(By.CSS_SELECTOR, "#record-action button").click()
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#record-action .form-error:not(:empty), #record-action p.error"),
           "the conflict shown in the form")
    check(True, "revoking a revoked record shows the API's refusal in the form")
    sign_out(p)

    # ---- expert: a benchmark item to score on a second credential
    d2 = dict(load_definition(), id="exit-tickets", title="Exit tickets")
    eid, eapi, _ = cred.experts[0]
    admin.put("/v1/users/%d/password" % eid, {"password": PASSWORD})
    ref = "%s@%d" % (d2["id"], d2["version"])
    assert admin.post("/v1/definitions", d2)[0] == 201
    assert admin.put("/v1/definitions/%s/audit" % ref, {"impact": "i", "equity": "e", "access": "a",
                                                        "language": "l", "big_picture": "b"})[0] == 200
    st, b = admin.post("/v1/definitions/%s/transition" % ref,
                       {"to": "piloting", "pilot": {"statistic": "exact", "threshold": 0.5}})
    assert st == 200, b
    pilot = [{"label": "p%d" % i, "content": "Pilot %d." % i} for i in range(10)]
    st, r = admin.post("/v1/definitions/%s/pilot/submissions" % ref,
                       {"experts": [e[0] for e in cred.experts], "submissions": pilot})
    assert st == 201, r
    for _, api, _ in cred.experts:
        for i, s in enumerate(r["submission_ids"]):
            assert api.post("/v1/pilot/submissions/%d/score" % s, {"level": d2["scoring"]["levels"][i % 4]})[0] == 200
    assert admin.post("/v1/definitions/%s/transition" % ref, {"to": "benchmarks"})[0] == 200
    st, r = admin.post("/v1/definitions/%s/benchmarks" % ref, {
        "experts": [e[0] for e in cred.experts],
        "items": [{"label": "bench-one", "content": "An exit ticket at the pass level."}]})
    assert st == 201, r
    users = admin.get("/v1/users?limit=200")[1]["items"]
    ename = [u["name"] for u in users if u["id"] == eid][0]
    sign_in(p, ename, PASSWORD)
    p.d.find_element(By.LINK_TEXT, "Expert").click()
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#bench form[data-item]"), "the benchmark items")
    p.audit("expert")
    form = [f for f in p.d.find_elements(By.CSS_SELECTOR, "#bench form[data-item]") if "bench-one" in f.text][0]
    item = form.get_attribute("data-item")
    Select(form.find_element(By.TAG_NAME, "select")).select_by_visible_text("pass")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    p.wait(lambda d: "Your score for bench-one: pass" in d.find_element(By.CSS_SELECTOR, '#bench form[data-item="%s"]' % item).text,
           "the expert's score shown")
    st, items = cred.experts[0][1].get("/v1/benchmarks/assignments?limit=200")
    mine = [i for i in items["items"] if str(i["item_id"]) == item]
    check(mine and mine[0]["my_level"] == "pass", "an expert scores a benchmark item from the page")
    sign_out(p)

    cred.close()
    admin.close()


def main():
    tmp = tempfile.mkdtemp(prefix="accord-web-")
    d = None
    try:
        cert = make_self_signed(tmp)
        with Node(tls=cert) as n:
            # The recognizer's node verifies presentations itself, fetching
            # from the issuer (here: itself) over https: it must trust the
            # throwaway certificate.
            with open(n.config) as f:
                text = f.read()
            with open(n.config, "w") as f:
                f.write(text.replace("[node]\n", "[node]\nca_file = %s\n" % cert[0], 1))
            admin_token = n.init()
            n.start()
            d = browser()
            p = Pages(d, n)
            try:
                journeys(p, n, admin_token, tmp)
            except BaseException:
                os.makedirs(OUT, exist_ok=True)
                shot = os.path.join(OUT, "failure.png")
                try:
                    d.save_screenshot(shot)
                    print("screenshot: " + shot + " at " + d.current_url)
                except Exception:
                    traceback.print_exc()
                raise
            code = n.stop()
            check(code == 0 and "Sanitizer" not in n.read_stderr(),
                  "the node stops cleanly (exit 0, no sanitizer report under ASan)")
    finally:
        if d:
            d.quit()
        shutil.rmtree(tmp, ignore_errors=True)
    print("all checks passed")


main()
