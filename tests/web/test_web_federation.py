"""The issuer's federation screens (peers, lending policy, ledger) in a real
headless chromium against two real nodes over TLS on loopback (docs/web.md).
The first node's admin signs in, reaches the screens by links from the
issuer's page, trusts the second node as a peer through the page (a bad
key refused beside its field first), sets a lending policy through the page
(a cap of 0 refused beside its field, nothing stored), and the second node
borrows one of the first node's reviewers for a real review through both
nodes' APIs (cross-node certification, a submission, the lent batch accepted
and scored). The ledger page then shows the review lent with its receipt,
and a debt cap set through the page (a negative one refused beside its
field). Last, with the second node down, a probe from the page waits in the
peer's queue, shown with the delivery state; the peer is suspended and
removed. On every screen axe-core reports no WCAG 2.2 A/AA violation and the
page has no horizontal scroll at 320 px. A screenshot goes to the test's
output folder on failure, and of every screen with ACCORD_WEB_SCREENSHOTS=1."""
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
# The browser, the page helpers (axe and the 320 px check) and sign-in are
# the main browser test's; importing it also skips (77) as it does when
# chromium, chromedriver, selenium or axe-core is missing.
from test_web_browser import (OUT, PASSWORD, Pages, browser, screenshot_on_failure,  # noqa: E402
                              sign_in, trust_ca)
from accordtest import Api, Node, check, make_self_signed  # noqa: E402
from borrow_util import definition, wait_for  # noqa: E402
from federation_util import append_config, node_public_key  # noqa: E402
from lifecycle import active_credential, new_user  # noqa: E402
from remote_cert import certify_across  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

LENDER = "north.example"  # the node whose admin uses the pages
ISSUER = "state.example"  # the peer that borrows its reviewers


def audit(p, name):
    """axe and the 320 px check on this screen; with ACCORD_WEB_SCREENSHOTS
    set, also a screenshot of it at 1024 and 320 px in the output folder."""
    p.audit(name)
    if os.environ.get("ACCORD_WEB_SCREENSHOTS"):
        os.makedirs(OUT, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        for width in (1024, 320):
            p.d.set_window_size(width, 800)
            time.sleep(0.3)
            p.d.save_screenshot(os.path.join(OUT, "federation-%s-%d.png" % (slug, width)))
        p.d.set_window_size(1024, 800)


def follow(p, href, ready_css):
    """Clicks the Federation navigation's link to |href| (a person's way
    there) and waits for |ready_css|."""
    p.d.find_element(By.CSS_SELECTOR, 'nav[aria-label="Federation"] a[href="%s"]' % href).click()
    p.wait(lambda d: d.current_url.endswith("/" + href) and d.find_elements(By.CSS_SELECTOR, ready_css),
           ready_css + " on " + href)


def type_into(p, css, text):
    e = p.d.find_element(By.CSS_SELECTOR, css)
    e.clear()
    e.send_keys(text)


def peers_screen(p, A, pb):
    """Trusts the issuer through the page; returns nothing."""
    p.d.find_element(By.CSS_SELECTOR, '#nav a[href="issuer.html"]').click()
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, 'nav[aria-label="Federation"] a[href="peers.html"]'),
           "the issuer's page with its federation links")
    audit(p, "issuer with federation links")
    follow(p, "peers.html", "#peers p, #peers article")
    check("trusts no peer" in p.text("#peers"), "the peers screen says no peer is trusted yet")
    audit(p, "peers, none yet")
    type_into(p, "#peer-node", ISSUER)
    type_into(p, "#peer-url", p.issuer_url)
    type_into(p, "#peer-keys", "not-a-key")
    p.d.find_element(By.ID, "right-submit").click()
    p.d.find_element(By.ID, "right-certify").click()
    p.d.find_element(By.CSS_SELECTOR, "#add-peer button[type=submit]").click()
    p.wait(lambda d: d.find_elements(By.ID, "peer-keys-error"), "the error beside the keys")
    err = p.text("#peer-keys-error")
    check("keys[0]" in err and "64 hex digits" in err
          and p.d.find_element(By.ID, "peer-keys").get_attribute("aria-invalid") == "true",
          "a key that is not one is refused beside the keys field: %s" % err)
    check(A.get("/v1/federation/peers")[1]["items"] == [], "and no peer was added")
    audit(p, "peers, a refused key")
    type_into(p, "#peer-keys", pb.hex())
    p.d.find_element(By.CSS_SELECTOR, "#add-peer button[type=submit]").click()
    card = '#peers article[data-peer="%s"]' % ISSUER
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, card), "the new peer's card")
    text = p.text(card)
    check("submit,certify" in text and p.issuer_url in text and "admin" in text,
          "the peer is listed with its address, rights and source: %s" % text)
    (peer,) = A.get("/v1/federation/peers")[1]["items"]
    check(peer["node"] == ISSUER and peer["rights"] == "submit,certify" and peer["source"] == "admin",
          "the node trusts it as the page said: %s" % peer)
    audit(p, "peers, one trusted")


def lending_screen(p, A, cred_id):
    follow(p, "lending.html", "#policies p, #policies form")
    p.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#policy-peer option")) == 2, "the peers to choose from")
    Select(p.d.find_element(By.ID, "policy-peer")).select_by_value(ISSUER)
    type_into(p, "#policy-credential", cred_id)
    type_into(p, "#policy-cap", "0")
    type_into(p, "#policy-blackouts", "2030-12-24 to 2031-01-02")
    p.d.find_element(By.CSS_SELECTOR, "#policy button[type=submit]").click()
    p.wait(lambda d: d.find_elements(By.ID, "policy-cap-error"), "the error beside the monthly cap")
    err = p.text("#policy-cap-error")
    check("monthly_cap" in err and "1" in err and "10000" in err,
          "a monthly cap of 0 is refused beside its field with the rule: %s" % err)
    check(A.get("/v1/federation/lending")[1]["items"] == [], "and no policy was stored")
    audit(p, "lending policy, a refused cap")
    type_into(p, "#policy-cap", "3")
    p.d.find_element(By.CSS_SELECTOR, "#policy button[type=submit]").click()
    card = '#policies form[data-policy="%s-%s"]' % (ISSUER, cred_id)
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, card), "the policy's card")
    check(not p.d.find_elements(By.ID, "policy-cap-error"), "the error is gone once the cap is valid")
    (pol,) = A.get("/v1/federation/lending")[1]["items"]
    check(pol["peer"] == ISSUER and pol["credential"] == cred_id and pol["reviewers"] == "all"
          and pol["monthly_cap"] == 3 and pol["own_first"] is True
          and pol["blackouts"] == [{"from": "2030-12-24", "until": "2031-01-02"}],
          "the node holds the policy the page set: %s" % pol)
    text = p.text(card)
    check("every reviewer" in text and "2030-12-24 to 2031-01-02" in text and "3" in text,
          "the page lists it: %s" % text)
    audit(p, "lending policy, one set")


def borrow_one_review(A, ta, B, tb, cred, defn):
    """A reviewer of the lender certified by the issuer across the nodes,
    then one submission at the issuer lent to her, accepted and scored on
    the lender: the real exchange the ledger counts."""
    r = certify_across(B, tb, A, ta, cred, defn, "nora", school="North High", district="North")
    issuer_admin = Api(B, tb)
    _, earner, _ = new_user(B, issuer_admin, "ella", ["earner"])
    st, sub = earner.post("/v1/submissions", {"credential": defn["id"], "domain": "ELA",
                                              "school": "State School", "district": "State District",
                                              "elements": [{"id": "criteria", "text": "Criteria shared first."},
                                                           {"id": "reflection", "text": "What changed."}]})
    assert st == 201, sub

    def invited():
        items = r.api.get("/v1/borrowed/batches?limit=200")[1]["items"]
        return [b for b in items if b["state"] == "invited"]
    (batch,) = wait_for("the lent batch at the lender", invited)
    st, _ = r.api.post("/v1/borrowed/batches/%d/accept" % batch["id"])
    assert st == 200
    st, b = r.api.post("/v1/borrowed/items/%d/score" % batch["items"][0]["id"],
                       {"level": "pass", "feedback": "Clear criteria."})
    assert st == 200, b
    s = wait_for("the issuer's decision from the lent review",
                 lambda: (lambda x: x if x.get("record") else None)(issuer_admin.get("/v1/submissions/%d" % sub["id"])[1]))
    check(s["level"] == "pass", "the issuer decided from the lender's reviewer's score")
    lender_admin = Api(A, ta)
    wait_for("the receipt in the lender's ledger", lambda: lender_admin.get(
        "/v1/federation/ledger/receipts")[1]["items"])
    for api in (issuer_admin, earner, lender_admin, r.api):
        api.close()


def ledger_screen(p, A):
    follow(p, "ledger.html", "#balances table, #balances p")
    row = '#balances tr[data-peer="%s"]' % ISSUER
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, row), "the issuer's row in the balances")
    lent, borrowed, balance = (p.text(row + " ." + c) for c in ("lent", "borrowed", "balance"))
    check((lent, borrowed) == ("1", "0") and balance.startswith("+1") and "owes us" in balance,
          "the ledger shows one review lent to the issuer, which owes us one: %s %s %s"
          % (lent, borrowed, balance))
    receipts = A.get("/v1/federation/ledger/receipts")[1]["items"]
    (rc,) = receipts
    text = p.text("table.receipts")
    check(rc["receipt_sha256"] in text and rc["result"] in text and "lent (we reviewed)" in text,
          "the receipt is listed with its result and SHA-256: %s" % text)
    month = p.text('#lines tr[data-line^="%s "]' % ISSUER)
    check(rc["month"] in month, "the month's line names the receipt's month: %s" % month)
    audit(p, "ledger")
    Select(p.d.find_element(By.ID, "cap-peer")).select_by_value(ISSUER)
    type_into(p, "#cap-debt", "-1")
    p.d.find_element(By.CSS_SELECTOR, "#cap button[type=submit]").click()
    p.wait(lambda d: d.find_elements(By.ID, "cap-debt-error"), "the error beside the cap")
    check("max_debt" in p.text("#cap-debt-error"), "a negative cap is refused beside its field")
    check("max_debt" not in A.get("/v1/federation/ledger")[1]["peers"][0], "and no cap was set")
    audit(p, "ledger, a refused cap")
    type_into(p, "#cap-debt", "5")
    p.d.find_element(By.CSS_SELECTOR, "#cap button[type=submit]").click()
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, row + " .cap") and
           d.find_element(By.CSS_SELECTOR, row + " .cap").text == "5", "the cap in the issuer's row")
    check(A.get("/v1/federation/ledger")[1]["peers"][0]["max_debt"] == 5, "the node holds the cap of 5")


def queue_and_removal(p, A, B):
    """The issuer is down: a probe from the page waits in its queue, shown
    with the delivery state; then the peer is suspended and removed."""
    check(B.stop() == 0, "the issuer stops cleanly")
    follow(p, "peers.html", '#peers article[data-peer="%s"]' % ISSUER)
    card = '#peers article[data-peer="%s"]' % ISSUER
    p.d.find_element(By.XPATH, '//article[@data-peer="%s"]//button[starts-with(normalize-space(), "Probe")]'
                     % ISSUER).click()
    p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, card + " tr[data-msg]"), "the probe waiting in the queue")
    queued = A.get("/v1/federation/peers/%s/outbox" % ISSUER)[1]["items"]
    text = p.text(card + " .queue")
    check(queued and all(m["msg_id"] in text for m in queued) and "ping" in text,
          "what waits for the issuer is listed on its card: %s" % text)
    # A failed attempt puts the peer into back-off until its next attempt;
    # the page reads the state when it loads, so it is reloaded until a load
    # falls between two attempts (nearly every one does).
    wait_for("the sender to fail once", lambda: A.get("/v1/federation/peers/%s" % ISSUER)[1]["attempts"] > 0)

    def reloaded_state():
        p.d.refresh()
        p.wait(lambda d: d.find_elements(By.CSS_SELECTOR, card + " .peer-state"), "the issuer's card")
        return p.text(card + " .peer-state") == "backing off after failures"
    wait_for("the card to say delivery backs off", reloaded_state, timeout=30, every=0.5)
    check("Last error" in p.text(card), "the card says delivery to the issuer is backing off, "
          "with the last error: %s" % p.text(card + " dl"))
    audit(p, "peers, a message waiting")
    p.d.find_element(By.XPATH, '//article[@data-peer="%s"]//button[starts-with(normalize-space(), "Suspend")]'
                     % ISSUER).click()
    p.wait(lambda d: A.get("/v1/federation/peers/%s" % ISSUER)[1]["rights"] == "none"
           and "none" in d.find_element(By.CSS_SELECTOR, card).text, "the suspension")
    check(not p.d.find_elements(By.CSS_SELECTOR, card + " input[name=right]:checked"),
          "suspended, the issuer holds no right here")
    p.d.find_element(By.XPATH, '//article[@data-peer="%s"]//button[starts-with(normalize-space(), "Remove")]'
                     % ISSUER).click()
    p.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, card), "the card to go")
    check(A.get("/v1/federation/peers")[1]["items"] == [], "removed, the issuer is no longer a peer")


def journey(p, A, ta, B, tb):
    defn = definition()
    admin = Api(A, ta)
    st, ada = admin.post("/v1/users", {"name": "ada", "roles": ["admin"]})
    assert st == 201, ada
    assert admin.put("/v1/users/%d/password" % ada["id"], {"password": PASSWORD})[0] == 200
    cred = active_credential(B, tb, defn, reviewers=0)
    sign_in(p, "ada", PASSWORD)
    peers_screen(p, admin, node_public_key(B))
    lending_screen(p, admin, defn["id"])
    borrow_one_review(A, ta, B, tb, cred, defn)
    ledger_screen(p, admin)
    queue_and_removal(p, admin, B)
    cred.close()
    admin.close()


def main():
    tmp = tempfile.mkdtemp(prefix="accord-webfed-")
    d = None
    try:
        cert = make_self_signed(tmp)
        with Node(node_id=LENDER, tls=cert) as A, Node(node_id=ISSUER, tls=cert) as B:
            for n in (A, B):
                trust_ca(n, cert[0])
            ta, tb = A.init(), B.init()
            A.start()
            pa = node_public_key(A)
            # The issuer trusts the lender from its config ("lend": it may lend
            # reviewers to us); the lender trusts the issuer through the page.
            append_config(B, "[peer %s]\nurl = %s\nkey = %s\nrights = lend\n" % (LENDER, A.url, pa.hex()))
            B.start()
            d = browser()
            p = Pages(d, A)
            p.issuer_url = B.url
            with screenshot_on_failure(d, "federation-failure.png"):
                journey(p, A, ta, B, tb)
            code = A.stop()
            check(code == 0 and "Sanitizer" not in A.read_stderr(),
                  "the node stops cleanly (exit 0, no sanitizer report under ASan)")
    finally:
        if d:
            d.quit()
        shutil.rmtree(tmp, ignore_errors=True)
    print("all checks passed")


main()
