#!/usr/bin/python3
"""demo.py - the consortium demo (README command (a)): four accord-node
processes on loopback, each with its own data directory, keys and TLS
listener (one throwaway openssl certificate), bound by one consortium file
signed with accordctl consortium keygen/sign: a state issuer (state.example),
two districts that lend reviewers (north.example, south.example) and a
recognizer (recognizer.example) that witnesses the state's log. The state
takes a credential through the seed workflow (authoring, pilot, benchmarks,
training, its own reviewers certified); district reviewers apply from their
own nodes and are certified by the state, which activates the credential; a
peak of submissions goes partly to them as lent batches; one declines, one
scores leniently and is caught by blind benchmark items, one goes quiet and
is reclaimed (on a build with the test clock, see below); the state decides
and issues; a teacher presents her credential to the recognizer node, which
verifies it itself; the three ledgers are compared. Every action a person
takes is done with accordctl (the HTTP API with curl only where no command
exists: a JWKS, the test clock, a witness round, a sign-in link), accord-verify
does the offline checks. It ends with a summary, then each role's node URL
and one-time sign-in link (issue 14). tools/demo.sh runs tools/setup.sh
first, then this.

    /usr/bin/python3 tools/demo.py [--build DIR] [--data DIR] [--port N] [--serve]

--build is the build directory (default build/; binaries at node/accord-node,
tools/accordctl, tools/accord-verify), --data the demo's working directory
(default demo-data/, emptied first), --port the state node's port (default
8440 when free, else any free one; the other nodes take free ports), --serve
keeps the nodes running after the summary until Ctrl-C. Exit status 0 when
every step worked; on any failure the nodes are stopped and the status is 1.
Python standard library, curl and openssl.

Nothing has to wait: invitations go out one submission at a time (batch
size 1), no cool-off, no wait between certification attempts or before a
resubmission. A review deadline is at least a day (the definition's rule):
on a build with the test clock (ctest's) the demo moves every node's clock
past it and the state reclaims; on a release build it says so and does not
show a timeout rather than wait a day or pretend to.
"""
import argparse
import base64
import csv
import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEVELS = ["not yet", "almost there", "pass", "high pass"]
EXAMPLES_PER_LEVEL, ATTEMPTS, SAMPLE_PER_LEVEL = 3, 3, 5
BENCH_PER_LEVEL = EXAMPLES_PER_LEVEL + ATTEMPTS * SAMPLE_PER_LEVEL  # 18
MARKER = ".accord-demo"  # marks a --data directory as the demo's to empty


class DemoError(Exception):
    pass


# ---------------------------------------------------------------- output

STEP = [0]
STARTED = time.monotonic()


def step(title):
    STEP[0] += 1
    print("\n[%2d] %s" % (STEP[0], title), flush=True)


def say(text):
    print("     " + text, flush=True)


def show(text, limit=None):
    """Prints a tool's output, indented; at most |limit| lines."""
    lines = text.rstrip("\n").splitlines()
    for ln in lines[:limit]:
        print("       | " + ln)
    if limit is not None and len(lines) > limit:
        print("       | ... (%d more lines)" % (len(lines) - limit))
    sys.stdout.flush()


# ---------------------------------------------------------------- tools

class Tools:
    def __init__(self, build, url, ca=None):
        self.ca = ca  # the throwaway certificate every node serves (a CA file)
        self.node_bin = os.path.join(build, "node", "accord-node")
        self.ctl_bin = os.path.join(build, "tools", "accordctl")
        self.verify_bin = os.path.join(build, "tools", "accord-verify")
        self.url = url
        self.calls = 0

    def ctl_raw(self, token, *args, json_out=True, ok=(0,)):
        cmd = [self.ctl_bin, "--node", self.url]
        # The token goes in the environment, which only its owner can read
        # (/proc/PID/environ), never on the command line, which every local
        # user can (ps). No token: none inherited either.
        env = dict(os.environ)
        env.pop("ACCORD_TOKEN", None)
        if token:
            env["ACCORD_TOKEN"] = token
        if self.ca:
            env["ACCORD_CA_FILE"] = self.ca
        if json_out:
            cmd.append("--json")
        cmd += [str(a) for a in args]
        self.calls += 1
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
        if r.returncode not in ok:
            raise DemoError("accordctl %s failed (exit %d): %s%s" % (
                " ".join(str(a) for a in args), r.returncode, r.stderr.strip(),
                (" " + r.stdout.strip()) if r.stdout.strip() else ""))
        return r

    def ctl(self, token, *args):
        """Runs accordctl --json; returns the parsed answer (None when empty)."""
        out = self.ctl_raw(token, *args).stdout.strip()
        return json.loads(out) if out else None

    def text(self, token, *args):
        """Runs accordctl for its readable output."""
        return self.ctl_raw(token, *args, json_out=False).stdout

    def verify(self, *args):
        # accord-verify --fetch trusts the system's CA store, which OpenSSL
        # lets SSL_CERT_FILE replace: here, the demo's throwaway certificate.
        env = dict(os.environ)
        if self.ca:
            env["SSL_CERT_FILE"] = self.ca
        r = subprocess.run([self.verify_bin] + [str(a) for a in args], capture_output=True,
                           text=True, timeout=60, env=env)
        return r


def die_with_parent():
    """In the node's child process before exec: SIGTERM it when the demo
    itself dies, even by SIGKILL (prctl PR_SET_PDEATHSIG), so no node is
    ever left running."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def rel(path):
    """|path| relative to the repository when inside it, else absolute."""
    r = os.path.relpath(path, ROOT)
    return path if r.startswith("..") else r


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
    return path


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def any_free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def distinct_free_ports(first, count):
    """|first| and |count| - 1 more free loopback ports, all different: each
    is picked while the ones before it are still held (two picks made one
    after the other may return the same port, and a node that then cannot
    bind would leave its URL answered by another member)."""
    ports, held = [first], []
    try:
        while len(ports) < count:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(s)
            s.bind(("127.0.0.1", 0))
            if s.getsockname()[1] not in ports:
                ports.append(s.getsockname()[1])
    finally:
        for s in held:
            s.close()
    return ports


def wait_for(what, fn, timeout=20.0, every=0.1):
    """Calls fn until it returns a true value; DemoError after |timeout| s."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise DemoError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(every)


def h2_get(url, ca=None):
    """GET over HTTP/2 with curl (over TLS trusting |ca|, or h2c prior
    knowledge): the reads with no accordctl command (a node's JWKS)."""
    cmd = ["curl", "-sSf"] + (["--http2", "--cacert", ca] if ca else ["--http2-prior-knowledge"])
    r = subprocess.run(cmd + [url], capture_output=True, timeout=30)
    if r.returncode != 0:
        raise DemoError("curl %s failed: %s" % (url, r.stderr.decode(errors="replace").strip()))
    return r.stdout


class Member:
    """One accord-node of the demo consortium: its configuration, data
    directory, signing key, admin token and process."""

    def __init__(self, build, base, role, node_id, port, rights, tls):
        self.role, self.node_id, self.port, self.rights = role, node_id, port, rights
        self.tls = tls  # (certificate, key): one throwaway pair for 127.0.0.1
        self.url = "https://127.0.0.1:%d" % port
        self.t = Tools(build, self.url, tls[0])
        self.data = os.path.join(base, node_id.split(".")[0])
        self.conf = os.path.join(base, node_id.split(".")[0] + ".conf")
        self.proc = None
        self.log = None

    def write_config(self, consortium_key):
        with open(os.path.join(ROOT, "conf", "issuer.conf")) as f:
            lines = f.read().splitlines()
        while lines and lines[0].startswith("#"):
            lines.pop(0)  # the example's own header
        out = ["# %s - the %s node of the demo consortium, written by tools/demo.py from "
               "conf/issuer.conf" % (os.path.basename(self.conf), self.role)]
        for ln in lines:
            key = ln.split("=")[0].strip()
            if key == "id":
                ln = "id = " + self.node_id
            elif key == "data_dir":
                ln = "data_dir = " + self.data
            elif key == "listen":
                # Browsers speak HTTP/2 only over TLS, so the pages need it;
                # peers then reach each other over https, trusting the same
                # throwaway certificate (ca_file).
                ln = "listen = 127.0.0.1:%d\ntls_cert = %s\ntls_key = %s" % (
                    self.port, self.tls[0], self.tls[1])
            out.append(ln)
            if ln == "[node]":
                out.append("ca_file = " + self.tls[0])
        # Every member pins the consortium's key; the file comes by publish.
        out += ["", "[consortium]", "key = " + consortium_key]
        with open(self.conf, "w") as f:
            f.write("\n".join(out) + "\n")

    def init(self):
        r = subprocess.run([self.t.node_bin, "init", "--config", self.conf], capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise DemoError("accord-node init (%s) failed: %s" % (self.node_id, r.stderr.strip()))
        self.admin = r.stdout.strip().splitlines()[-1].strip()

    def start(self):
        self.log = open(self.data + ".log", "a")
        self.proc = subprocess.Popen([self.t.node_bin, "--config", self.conf],
                                     stdout=self.log, stderr=self.log, preexec_fn=die_with_parent)

        def up():
            if self.proc.poll() is not None:
                raise DemoError("accord-node %s exited with %d; see %s" % (
                    self.node_id, self.proc.returncode, self.log.name))
            r = self.t.ctl_raw(self.admin, "node", "info", ok=(0, 3))
            if r.returncode != 0:
                return False
            # This node, not another process on its port.
            if json.loads(r.stdout).get("node_id") != self.node_id:
                raise DemoError("%s answers as %s: its port is taken" % (
                    self.url, json.loads(r.stdout).get("node_id")))
            return True
        wait_for("%s to answer" % self.node_id, up)
        jwks = json.loads(h2_get(self.url + "/.well-known/jwks.json", self.tls[0]))
        x = jwks["keys"][0]["x"]
        self.public_key = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)).hex()

    def stop(self):
        """SIGTERM (graceful), SIGKILL after 20 s; returns the exit status."""
        if not self.proc:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def api(self, method, path, token=None, body=None):
        """The node's JSON API over HTTP/2 with curl, for the few calls with no
        accordctl command (the test clock, a witness round). The token goes
        in a header file only its owner can read, never on the command line."""
        hdr = os.path.join(self.data + ".hdr")
        fd = os.open(hdr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("authorization: Bearer %s\ncontent-type: application/json\n"
                    % (token or self.admin))
        cmd = ["curl", "-sS", "--http2", "--cacert", self.tls[0], "-X", method, "-H", "@" + hdr,
               "-w", "\n%{http_code}", self.url + path]
        if body is not None:
            cmd += ["--data-binary", json.dumps(body)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        os.unlink(hdr)
        out, _, code = r.stdout.rpartition("\n")
        try:
            return int(code or 0), (json.loads(out) if out.strip() else None)
        except ValueError:
            return int(code or 0), out


# ---------------------------------------------------------------- sample data

def definition():
    """conf/definitions/formative-feedback-associate.json, tuned for a demo on
    a release build (see the module comment); returns (definition, audit)."""
    with open(os.path.join(ROOT, "conf", "definitions", "formative-feedback-associate.json")) as f:
        d = json.load(f)
    audit = d.pop("audit")
    d.pop("state", None)  # a new version is always stored as a draft
    d["version"] = 1
    d["review"].update({"batch_size": 1, "cool_off_hours": 0, "resubmission_wait_days": 0})
    d["training"]["wait_days"] = 0
    # The shortest deadline a definition allows: a day (reminder 12 h before).
    d["review"].update({"deadline_days": 1, "reminders_hours_before": [12]})
    # Six reviewers are the minimum: ceil(24 x 3 / 12) = 6; the state has
    # three. A period of one day: the demo's peak is a day's work.
    d["pool"] = {"submissions_per_period": 24, "assignments_per_reviewer": 12, "period_days": 1}
    # Holding a record of another credential is checked automatically only
    # for the issuer's own records; the districts' reviewers hold none, so
    # screening here is the manual kind (docs/borrowing.md "Screening").
    d["reviewers"]["qualifications"] = [q for q in d["reviewers"]["qualifications"]
                                        if q.get("kind") != "holds_credential"]
    # Blind benchmark items go into half the batches, and monitoring judges a
    # reviewer from two of them, so a lenient one is caught within the demo.
    d["maintenance"].update({"benchmark_seed_rate": 0.6, "min_sample": 2})
    # Severity (leniency against the other reviewers of the same work) would
    # catch the lenient reviewer too, from two or three real reviews, and
    # take them out before any blind item reached them; the demo leaves the
    # catch to the blind benchmarks, the check a lender cannot game.
    d["maintenance"]["thresholds"] = [t for t in d["maintenance"]["thresholds"]
                                      if t["measure"] != "severity"]
    return d, audit


PILOT = [  # (label, content, expert A's level, expert B's level)
    ("pilot-01", "Criteria posted on day one; feedback on every draft names one strength and one "
     "next step tied to the criteria; students revise in class the next day.", 3, 3),
    ("pilot-02", "Rubric shared; feedback given on final drafts only, so no revision followed.", 0, 0),
    ("pilot-03", "Comments on drafts are specific but arrive after the unit ends.", 1, 1),
    ("pilot-04", "Success criteria co-written with students; two feedback cycles; before and "
     "after drafts show revised thesis statements.", 2, 3),
    ("pilot-05", "Feedback conference recorded; one next step; revision time given; the "
     "reflection says what students changed.", 2, 2),
    ("pilot-06", "Grades with a short comment ('good work'); no shared criteria.", 0, 0),
    ("pilot-07", "Criteria shared; peer feedback on drafts; teacher feedback general.", 1, 2),
    ("pilot-08", "Criteria, specific feedback, revision, and a class chart of what changed.", 3, 3),
    ("pilot-09", "Feedback on drafts refers to the criteria; most students revised.", 2, 2),
    ("pilot-10", "Draft feedback given; students not asked to act on it.", 1, 1),
]

BENCH_TRAITS = [
    ["feedback came only with the final grade", "no criteria were shared before writing",
     "comments say 'nice job' or 'fix this' without saying what or how"],
    ["criteria were shared but feedback does not refer to them",
     "feedback arrived after students could still revise",
     "next steps are given but no revision time follows"],
    ["feedback names a strength and one next step tied to the criteria",
     "students revise in class within two days",
     "the reflection notes what most students changed"],
    ["criteria were co-constructed with students and used in two feedback cycles",
     "every student revised and explained the change",
     "the teacher adjusted the next lesson from what the drafts showed"],
]
SUBJECTS = ["persuasive essays", "lab reports", "personal narratives", "literary analysis",
            "research summaries", "argument paragraphs"]


def benchmark_items():
    """18 items per level; returns [(label, content, level index, reflection)].
    An item's content is written as a real submission of the credential is,
    a text per required element (JSON), so the node can seed it blind into
    reviewers' batches (node/review/assignment.c, seeds_that_fit); its
    reflection is unique, so the demo's reviewers recognise it there."""
    items = []
    for lvl in range(len(LEVELS)):
        for k in range(BENCH_PER_LEVEL):
            grade = 3 + (k % 10)
            trait = BENCH_TRAITS[lvl][k % 3]
            subject = SUBJECTS[(k + lvl) % len(SUBJECTS)]
            reflection = "Grade %d %s, sample %d: %s." % (grade, subject, k + 1, trait)
            content = json.dumps([
                {"id": "criteria", "text": "Success criteria for grade %d %s." % (grade, subject)},
                {"id": "feedback-video", "text": "Transcript of a feedback conference."},
                {"id": "revisions", "text": "A first and a revised draft."},
                {"id": "reflection", "text": reflection}])
            items.append(("bench-%s-%02d" % (LEVELS[lvl].replace(" ", "-"), k), content, lvl,
                          reflection))
    return items


# Each earner's evidence, and what its successive reviewers give (a level per
# element in the definition's order: criteria, feedback-video, revisions,
# portfolio-link, reflection). Thresholds combine them: pass iff each element
# reaches its threshold; the level is the lowest element's.
P = ["pass", "high pass", "pass", "pass", "pass"]
HP = ["high pass"] * 5
AT = ["almost there", "almost there", "pass", "pass", "almost there"]
# The state's own reviewers: fewer than the pool needs, so the credential
# activates only with district reviewers certified across nodes.
OWN_REVIEWERS = ["rhea", "sam", "uma"]
# District reviewers (name, node, school, what they do with lent batches).
LENT_REVIEWERS = [
    ("nia", "north", "North Middle", "scores"),
    ("nate", "north", "North High", "declines"),
    ("sky", "south", "South High", "lenient"),
    ("sol", "south", "South Elementary", "goes quiet"),
]
# More teachers submit after the peak, three at a time, while the demo waits for
# what only chance decides: that the lenient reviewer gets blind benchmark
# items (seeding is random, as it must be to stay blind), and that the
# reviewer who goes quiet is offered a batch.
LATE_EARNERS = [  # (user, name, school, district, reflection, script); texts
    # unlike each other, or the state's near-duplicate screening holds them
    (u, n, n.split()[1] + " School", n.split()[1] + " District", text, [P] * 5)
    for u, n, text in [
        ("kim", "Kim Adams", "Third graders wrote pen-pal letters. Before drafting we listed "
         "what makes a letter easy to answer; each writer got one question from me and "
         "rewrote a paragraph before the envelopes were sealed."),
        ("joe", "Joe Baker", "My sixth-grade scientists explained why ice melts faster on "
         "metal. Peers checked claims against our rubric, I commented on evidence, and a "
         "morning revision period followed."),
        ("ines", "Ines Chavez", "Ninth graders ranked three exemplar arguments, then drafted "
         "their own on cell phones in school. Conferences named a single next step and "
         "revisions happened during class."),
        ("omar", "Omar Dunn", "Kindergarten authors dictated stories about pets. We used a "
         "picture checklist, I praised one detail and asked for one more, and children "
         "added drawings to show the change."),
        ("lily", "Lily Ellis", "Eighth-grade historians wrote document-based essays on the "
         "Erie Canal. Sourcing feedback came through sticky notes keyed to criteria, and "
         "students tracked each fix in a revision log."),
        ("paul", "Paul Fox", "Twelfth-grade seniors polished college essays. A peer panel used "
         "our voice-and-structure rubric; my written questions pushed specificity; second "
         "drafts cut clichés by half."),
        ("rosa", "Rosa Grant", "Fifth graders built biographies of local heroes. Criteria "
         "lived on anchor charts, feedback arrived mid-draft on audio clips, and everyone "
         "recorded what they revised."),
        ("tom", "Tom Hale", "Seventh-grade poets studied imagery. Workshop circles gave warm "
         "and cool feedback tied to success criteria, and final portfolios paired each "
         "poem with its earlier version."),
        ("una", "Una Ibsen", "Second graders made weather reports. A three-star checklist "
         "guided talk partners, I recorded one suggestion per child, and rehearsals on Friday "
         "showed who had acted on it."),
        ("vic", "Vic Jensen", "Tenth-grade chemists wrote lab conclusions. Margin questions "
         "targeted reasoning from data; a lunchtime clinic helped stragglers; rewrites "
         "earned back partial credit."),
        ("wes", "Wes Kumar", "Fourth-grade mathematicians explained fraction strategies in "
         "writing. Peer gallery walks left comment cards, and students amended explanations "
         "before a final share."),
        ("xia", "Xia Liang", "Eleventh graders debated renewable energy in op-eds. Rubric "
         "rows on counterargument anchored my video comments, and a revision sprint closed "
         "the unit."),
        ("yuri", "Yuri Moreau", "Sixth-grade geographers drafted travel brochures. Exemplar "
         "sorting came first, mini-conferences named a fix, and final brochures were judged "
         "by visiting parents."),
        ("zara", "Zara Novak", "First graders wrote all-about books on insects. Sentence "
         "frames supported writing, sticky-dot feedback flagged one page each, and children "
         "rewrote that page proudly."),
        ("alba", "Alba Ortiz", "Third-year Spanish learners recorded podcasts about family "
         "recipes. A listening rubric guided partner comments, I flagged one pronunciation "
         "target, and retakes showed clearer vowels."),
        ("bram", "Bram Park", "Ninth-grade biologists designed yeast experiments. Proposal "
         "conferences questioned variables, a checklist tracked controls, and revised plans "
         "went to the lab on Thursday."),
        ("cleo", "Cleo Quinn", "Kindergarteners counted objects in photo books. Thumbs-up "
         "feedback on one page per child and a second try the next morning let them fix "
         "miscounts themselves."),
        ("dara", "Dara Rao", "Twelfth-grade economists forecast local prices. Peer review "
         "pairs tested assumptions against data, my memo asked for one sensitivity check, "
         "and forecasts were republished."),
        ("elio", "Elio Stone", "Fifth-grade musicians composed eight-bar melodies. Listening "
         "circles named a favourite bar and a bumpy one, and composers rewrote the bumpy bar "
         "before the recital."),
        ("fern", "Fern Tan", "Seventh-grade coders built quiz games. Play-testers logged "
         "confusing screens, I reviewed one function with each pair, and patch notes listed "
         "every change made."),
        ("gus", "Gus Underwood", "Tenth-grade artists drafted self-portraits. Critique "
         "protocols used warm and cool statements about value and line, and a second sitting "
         "addressed one comment."),
        ("hana", "Hana Vance", "Third graders measured plant growth in journals. Partner "
         "checks compared units, my sticky note asked one question, and entries were "
         "corrected before the graph day."),
        ("ivo", "Ivo Wolfe", "Eleventh-grade journalists reported school board news. An "
         "editor desk returned drafts with three margin queries, and reporters verified one "
         "quote before publication."),
    ]]
EARNERS = [
    ("late%02d" % k, "Teacher %s" % name, "%s School" % name, "%s District" % name,
     "Grade %d %s: I shared the success criteria first, met each student about one next step, "
     "and gave class time to revise; the drafts show what %s's students changed." % (
         3 + k % 9, subject, name),
     [P] * 5)
    for k, (name, subject) in enumerate([
        ("Adams", "opinion letters"), ("Baker", "lab reports"), ("Chavez", "book reviews"),
        ("Dunn", "science explanations"), ("Ellis", "narratives"), ("Fox", "argument essays"),
        ("Grant", "research summaries"), ("Hale", "poetry analysis"), ("Ito", "how-to books"),
        ("Joshi", "history essays"), ("Kerr", "field notes"), ("Lopez", "editorials")])]
EARNERS = [
    ("kim", "Kim Nguyen", "Hoover Elementary", "Northside",
     "Third graders wrote letters to a pen pal class; we listed what makes a letter easy to "
     "answer, I met each writer about one question, and they revised before mailing.",
     [P] * 5),
    ("joe", "Joe Brennan", "Adams Middle", "Eastside",
     "Sixth-grade science explanations: shared criteria, a peer-feedback round on claims, "
     "my comments on evidence, and a revision period the next morning.",
     [P] * 5),
    ("ines", "Ines Duarte", "Monroe High", "Westside",
     "Ninth-grade argument essays: students ranked exemplars against the criteria, got one "
     "next step each in a conference, and revised in class.",
     [P] * 5),
]
EARNERS = [
    ("tess", "Tess Okafor", "Lincoln Elementary", "Northside",
     "My fourth graders wrote opinion letters to the principal. I shared three success "
     "criteria before they drafted, met each student for a short conference on the draft, "
     "and gave them Thursday's block to revise. Most revised their reasons and evidence; "
     "two rewrote their openings after hearing peers read theirs aloud.",
     [P, P, P]),
    ("marco", "Marco Ruiz", "Jefferson Middle", "Eastside",
     "Seventh-grade lab reports on plant growth: the class built the rubric with me, "
     "then traded drafts for peer comments before my own written feedback. Students "
     "annotated which comment led to each change, and I retaught data tables after "
     "seeing the same gap in half the drafts.",
     [HP, HP, P]),
    ("amara", "Amara Chen", "Roosevelt High", "Westside",
     "Tenth graders drafted literary analysis paragraphs on The Giver. Feedback pointed "
     "to claim, evidence and reasoning on our shared checklist; revision happened as "
     "homework. About half used the comments; I am changing the timing so revision "
     "happens in class next semester.",
     # The first three disagree across the pass boundary; two more reviewers
     # are added and the median of five decides.
     [P, AT, P, P, P]),
    ("ravi", "Ravi Patel", "Garfield Elementary", "Southside",
     "My second graders wrote how-to books about making a sandwich. I wrote comments on "
     "the finished books and sent them home with the grade. Families liked the comments.",
     [AT, AT, AT]),
    ("lena", "Lena Kowalski", "Madison High", "Northside",
     "Eleventh-grade argument essays about school start times: criteria on the wall, "
     "a conference with each student during the drafting week, a revision day, and exit "
     "tickets in which students named the change they were proudest of.",
     [P, HP, P]),
]
RESUBMISSION = (
    "I rebuilt the how-to unit: the class listed what makes directions easy to follow, I "
    "met each writer about one step that was unclear, and we spent two mornings revising "
    "before reading the books to kindergarten buddies, who tried the directions out.",
    [P, P, P])


# ---------------------------------------------------------------- the demo

class Demo:
    def __init__(self, args):
        self.build = os.path.abspath(args.build)
        self.data = os.path.abspath(args.data)
        port = args.port or (8440 if port_free(8440) else any_free_port())
        ports = distinct_free_ports(port, 4)
        # What every other member grants each one (docs/federation.md "Trust"):
        # the state issues and certifies reviewers and sends work; the
        # districts lend reviewers; the recognizer witnesses the state's log.
        tls = tuple(os.path.join(self.data, "tls", f) for f in ("cert.pem", "key.pem"))
        self.state = Member(self.build, self.data, "state", "state.example", ports[0],
                            ["issuer", "certify", "submit"], tls)
        self.north = Member(self.build, self.data, "district", "north.example", ports[1], ["lend"],
                            tls)
        self.south = Member(self.build, self.data, "district", "south.example", ports[2], ["lend"],
                            tls)
        self.rec = Member(self.build, self.data, "recognizer", "recognizer.example", ports[3],
                          ["witness"], tls)
        self.tls = tls
        self.members = [self.state, self.north, self.south, self.rec]
        self.url, self.port, self.t = self.state.url, port, self.state.t
        self.node_data = self.state.data
        self.summary = []
        self.d, self.audit = definition()
        self.ref = "%s@%d" % (self.d["id"], self.d["version"])

    @property
    def admin(self):
        return self.state.admin

    # -- the consortium's nodes
    def prepare_data(self):
        for b in (self.t.node_bin, self.t.ctl_bin, self.t.verify_bin):
            if not os.access(b, os.X_OK):
                raise DemoError("%s is not built (run tools/setup.sh or give --build)" % b)
        # Start afresh, but only ever delete a directory an earlier demo made.
        if os.path.exists(self.data):
            if os.listdir(self.data) and not os.path.exists(os.path.join(self.data, MARKER)) \
                    and os.path.basename(self.data) != "demo-data":
                raise DemoError("%s is not empty and not an earlier demo's; give another --data"
                                % self.data)
            shutil.rmtree(self.data)
        os.makedirs(self.data)
        open(os.path.join(self.data, MARKER), "w").close()

    def start_consortium(self):
        self.prepare_data()
        step("Start the consortium: a state issuer, two districts and a recognizer")
        os.makedirs(os.path.dirname(self.tls[0]))
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", self.tls[1],
                            "-out", self.tls[0], "-days", "2", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise DemoError("openssl req (the throwaway TLS certificate) failed: " + r.stderr)
        say("a throwaway TLS certificate for 127.0.0.1 (openssl req, 2 days): %s; every node "
            "serves it and trusts it for its peers" % rel(self.tls[0]))
        keyfile = os.path.join(self.data, "consortium.key")
        ck = json.loads(self.t.ctl_raw(None, "consortium", "keygen", keyfile).stdout)
        self.consortium_key = ck["public_key"]
        say("accordctl consortium keygen %s -> consortium key %s..." % (
            rel(keyfile), self.consortium_key[:16]))
        for m in self.members:
            m.write_config(self.consortium_key)
            m.init()
            m.start()
            say("%-10s %-22s %s  pid %-7d data %s, key %s..." % (
                m.role, m.node_id, m.url, m.proc.pid, rel(m.data), m.public_key[:16]))
        members = [{"node": m.node_id, "url": m.url, "rights": m.rights,
                    "keys": [{"key": m.public_key}]} for m in self.members]
        src = write_json(os.path.join(self.data, "consortium.json"),
                         {"name": "demo-state-consortium", "serial": 1, "members": members})
        cose = os.path.join(self.data, "consortium.cose")
        self.t.ctl_raw(None, "consortium", "sign", src, "--key", keyfile, "--out", cose,
                       json_out=False)
        say("consortium sign %s -> %s: %d members, serial 1; what the others grant each:"
            % (rel(src), rel(cose), len(members)))
        for m in self.members:
            say("  %-22s %s" % (m.node_id, ",".join(m.rights)))
        for m in self.members:
            m.t.ctl(m.admin, "consortium", "publish", cose)
        say("consortium publish to every member; each verified it with the pinned key")

        def everyone_peered():
            return all(len(m.t.ctl(m.admin, "peer", "list").get("items", [])) >= 3
                       for m in self.members)
        wait_for("every member to list the other three as peers", everyone_peered)
        show(self.t.text(self.admin, "peer", "list"), limit=5)
        self.summary.append("consortium: 4 nodes over TLS (state issuer, 2 districts, recognizer), "
                            "own data and keys, 1 signed file")

    def stop_nodes(self):
        """Stops every member; returns the worst exit status."""
        rcs = [m.stop() for m in self.members]
        return next((rc for rc in rcs if rc != 0), 0)
    # -- users
    def add_user(self, name, role, display, node=None):
        node = node or self.state
        # An earner's address, vouched for by the admin who makes the account:
        # the records it earns name it by that address's salted hash.
        extra = ["--email", name + "@district.example"] if role == "earner" else []
        u = node.t.ctl(node.admin, "user", "add", name, "--role", role, "--display-name", display,
                       *extra)
        tok = node.t.ctl(node.admin, "token", "create", u["id"], "--label", "demo")
        return {"id": u["id"], "name": name, "display": display, "token": tok["token"],
                "node": node}

    def users(self):
        step("Create the people on their own nodes (each admin made at init; tokens for the rest)")
        self.experts = [self.add_user("ada", "expert", "Ada Mensah (expert)"),
                        self.add_user("bo", "expert", "Bo Lindqvist (expert)")]
        self.reviewers = [self.add_user(n, "reviewer", n.capitalize() + " (reviewer)")
                          for n in OWN_REVIEWERS]
        self.earners = {e[0]: dict(self.add_user(e[0], "earner", e[1]), school=e[2], district=e[3])
                        for e in EARNERS + LATE_EARNERS}
        self.lent = []
        for name, node, school, behaviour in LENT_REVIEWERS:
            m = getattr(self, node)
            rv = self.add_user(name, "reviewer", name.capitalize() + " (%s reviewer)" % node, m)
            rv.update(school=school, district=node.capitalize() + " District",
                      behaviour=behaviour)
            self.lent.append(rv)
        self.recognizer = self.add_user("hr", "recognizer", "Recognizer HR office", self.rec)
        say("state: %d experts, %d reviewers, %d earners; north and south: %d reviewers each; "
            "recognizer: 1 officer" % (len(self.experts), len(self.reviewers), len(self.earners),
                                       len(self.lent) // 2))
        show(self.t.text(self.admin, "user", "list"), limit=6)

    # -- authoring
    def author(self):
        step("The state authors a four-level credential and answers the framework audit")
        path = write_json(os.path.join(self.data, "definition.json"), self.d)
        self.t.ctl(self.admin, "def", "create", path)
        say("def create: %s \"%s\" from conf/definitions/formative-feedback-associate.json" % (
            self.ref, self.d["title"]))
        say("levels %s; per-element scoring, %d elements; %d associate reviewers per submission"
            % (" < ".join(LEVELS), len(self.d["submission"]["elements"]),
               self.d["reviewers"]["per_submission"]))
        say("demo tuning: batch_size 1, cool_off_hours 0, wait_days 0, deadline_days 1 (the "
            "least allowed); pool 24 a day x 3 / 12 = 6 reviewers; blind benchmarks in 60% of "
            "the batches, monitoring from 2, no severity threshold")
        self.t.ctl(self.admin, "def", "audit", self.ref,
                   write_json(os.path.join(self.data, "audit.json"), self.audit))
        say("def audit: impact, equity, access, language, big picture answered")
        d = self.t.ctl(self.admin, "def", "show", self.ref)
        say("state %s, content hash %s" % (d.get("state"), str(d.get("content_hash"))[:23] + "..."))

    def pilot(self):
        step("Pilot: two experts score ten sample submissions independently")
        self.t.ctl(self.admin, "def", "transition", self.ref, "piloting",
                   "--statistic", "exact", "--threshold", "0.7")
        say("def transition piloting (accept when exact agreement >= 0.7)")
        subs = [{"label": p[0], "content": p[1]} for p in PILOT]
        r = self.t.ctl(self.admin, "pilot", "assign", self.ref,
                       write_json(os.path.join(self.data, "pilot.json"), subs),
                       "--experts", "%d,%d" % (self.experts[0]["id"], self.experts[1]["id"]))
        ids = r["submission_ids"]
        for e, col in ((self.experts[0], 2), (self.experts[1], 3)):
            tasks = self.t.ctl(e["token"], "expert", "tasks", "pilot")
            if len(tasks["items"]) != len(ids):
                raise DemoError("expert %s sees %d pilot tasks, not %d" % (
                    e["name"], len(tasks["items"]), len(ids)))
            for sid, p in zip(ids, PILOT):
                self.t.ctl(e["token"], "expert", "score", "pilot", sid, LEVELS[p[col]])
        rep = self.t.ctl(self.admin, "pilot", "report", self.ref)
        self.pilot_report = rep
        agree = sum(1 for p in PILOT if p[2] == p[3])
        say("%d submissions scored by %s and %s; they agree exactly on %d of %d" % (
            len(ids), self.experts[0]["name"], self.experts[1]["name"], agree, len(PILOT)))
        ag = rep.get("agreement", {})
        say("pilot report: exact %.2f, adjacent %.2f, Cohen's kappa %.2f, quadratic kappa %.2f, "
            "Gwet's AC1 %.2f" % (ag["exact"], ag["adjacent"], ag["cohen_kappa"],
                                 ag["quadratic_kappa"], ag["gwet_ac1"]))
        say("threshold met: %s (%s)" % (rep.get("threshold_met"), rep.get("verdict")))
        with open(os.path.join(self.data, "pilot-scores.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow([self.experts[0]["name"], self.experts[1]["name"]])
            for p in PILOT:
                w.writerow([LEVELS[p[2]], LEVELS[p[3]]])
        if not rep.get("threshold_met"):
            raise DemoError("the pilot did not meet its threshold: %s" % rep.get("verdict"))
        self.pilot_line = "pilot exact agreement %.2f >= 0.7 -> accepted" % ag["exact"]

    def benchmarks(self):
        step("Benchmark database: 18 x 4 = 72 items, two experts, conflicts resolved")
        self.t.ctl(self.admin, "def", "transition", self.ref, "benchmarks")
        items = benchmark_items()
        r = self.t.ctl(self.admin, "benchmark", "import", self.ref,
                       write_json(os.path.join(self.data, "benchmarks.json"),
                                  [{"label": i[0], "content": i[1]} for i in items]),
                       "--experts", "%d,%d" % (self.experts[0]["id"], self.experts[1]["id"]))
        self.bench_truth = {}      # item id -> level index
        self.bench_by_text = {}    # content -> level index (blind items in batches)
        for iid, it in zip(r["item_ids"], items):
            self.bench_truth[iid] = it[2]
            self.bench_by_text[it[1]] = it[2]
            self.bench_by_text[it[3]] = it[2]
        # Bo reads the sixth item of each level one level off: 4 conflicts.
        off = {iid for iid, it in zip(r["item_ids"], items) if it[0].endswith("-05")}
        for e in self.experts:
            for iid, lvl in self.bench_truth.items():
                given = lvl
                if e is self.experts[1] and iid in off:
                    given = lvl + 1 if lvl < len(LEVELS) - 1 else lvl - 1
                self.t.ctl(e["token"], "expert", "score", "benchmark", iid, LEVELS[given])
        say("benchmark import: %d items; %s and %s scored each independently (%d scores)" % (
            len(items), self.experts[0]["name"], self.experts[1]["name"], 2 * len(items)))
        conflicts = self.t.ctl(self.experts[0]["token"], "expert", "conflicts", self.ref)["items"]
        say("expert conflicts: %d items split; resolved in conference:" % len(conflicts))
        for c in conflicts:
            iid = c.get("item_id", c.get("id"))
            lvl = LEVELS[self.bench_truth[iid]]
            self.t.ctl(self.experts[0]["token"], "expert", "resolve", iid, lvl,
                       "--key", "feedback tied to the criteria; revision followed",
                       "--errors", "reading enthusiasm as evidence of revision")
            say("  item %d -> %s (with key characteristics and common errors)" % (iid, lvl))
        rep = self.t.ctl(self.admin, "benchmark", "report", self.ref)
        say("benchmark report: sufficient=%s, open conflicts %s" % (
            rep.get("sufficient"), rep.get("open_conflicts", 0)))
        self.summary.append("credential: %s; %d benchmark items, %d expert conflicts resolved"
                            % (self.pilot_line, len(items), len(conflicts)))

    def training(self):
        step("Training module (generated) and the node's general module")
        self.t.ctl(self.admin, "def", "transition", self.ref, "training")
        m = self.t.ctl(self.admin, "training", "show", self.ref)
        ex = sum(len(lv.get("items", [])) for lv in m.get("examples") or [])
        say("def transition training: module generated with %d annotated examples "
            "(%d per level), rubric and certification parameters" % (ex, EXAMPLES_PER_LEVEL))
        general = {"title": "Reviewing for this network", "sections": [
            {"heading": "Score the evidence, not the person",
             "body": "Read every element before scoring; a confident tone is not evidence."},
            {"heading": "Bias and fairness",
             "body": "Notice when a school, name or dialect pulls your score; score again blind."},
            {"heading": "Feedback earners can use",
             "body": "Name what works and one next step, tied to the rubric."}]}
        self.t.ctl(self.admin, "training", "general", "set",
                   write_json(os.path.join(self.data, "general.json"), general))
        say("training general set: \"%s\", %d sections" % (general["title"], len(general["sections"])))
        self.t.ctl(self.admin, "def", "transition", self.ref, "recruiting")
        say("def transition recruiting: open for reviewer applications")

    def recruit(self):
        step("The state's own reviewers apply, are screened, train and certify")
        pool = self.t.ctl(self.admin, "reviewer", "pool", self.ref)
        self.minimum = pool.get("minimum")
        say("pool minimum %s certified reviewers (chance of passing by guessing: %s)" % (
            self.minimum, pool.get("guess_pass_probability")))
        for i, rv in enumerate(self.reviewers):
            tok = rv["token"]
            self.t.ctl(tok, "reviewer", "profile", "--school", "Review School %d" % (i + 1),
                       "--district", "District %d" % (i % 3 + 10), "--domains", "ELA")
            self.t.ctl(tok, "reviewer", "apply", self.ref,
                       "--answer", "domain_expertise=%d years teaching ELA" % (5 + i),
                       "--answer", "manual=National Board Certified, 20%d" % (10 + i))
            self.t.ctl(self.admin, "reviewer", "screen", self.ref, rv["id"], "approve",
                       "--reason", "ELA experience and NBCT status checked")
            self.t.ctl(tok, "training", "general", "complete")
            self.t.ctl(tok, "training", "show", self.ref)
            self.t.ctl(tok, "training", "complete", self.ref)
            attempts = 0
            while True:
                attempts += 1
                a = self.t.ctl(tok, "reviewer", "attempt", self.ref)
                answers = []
                for k, it in enumerate(a["items"]):
                    lvl = self.bench_truth[it["item_id"]]
                    # Uma rushes her first attempt: six answers one level off.
                    if rv["name"] == "uma" and attempts == 1 and k < 6:
                        lvl = lvl + 1 if lvl < len(LEVELS) - 1 else lvl - 1
                    answers.append({"item_id": it["item_id"], "level": LEVELS[lvl]})
                res = self.t.ctl(tok, "reviewer", "answer", a["attempt_id"], write_json(
                    os.path.join(self.data, "answers-%s-%d.json" % (rv["name"], attempts)), answers))
                if res.get("passed"):
                    break
                r = res.get("result", {})
                say("%-7s attempt %d failed: %d/%d exact (%s); no wait in this definition, "
                    "tries again" % (rv["name"], attempts, r.get("exact", 0), r.get("items", 0),
                                     r.get("reason")))
                if attempts >= ATTEMPTS:
                    raise DemoError("%s failed every attempt" % rv["name"])
            state = res.get("credential_state")
            say("%-7s screened, trained, certified on attempt %d (%d items) -> %d certified; "
                "credential %s" % (rv["name"], attempts, len(a["items"]), i + 1, state))
        pool = self.t.ctl(self.admin, "reviewer", "pool", self.ref)
        say("state pool: %s certified of the %s needed; credential %s" % (
            pool.get("certified"), pool.get("minimum"),
            self.t.ctl(self.admin, "def", "show", self.ref).get("state")))

    def recruit_across(self):
        step("District reviewers apply from their own nodes and are certified by the state")
        for m in (self.north, self.south):
            m.t.ctl(m.admin, "lending", "set", self.state.node_id, self.d["id"], "--reviewers",
                    "all", "--cap", "100")
            say("%s: lending set %s %s --reviewers all --cap 100" % (
                m.node_id, self.state.node_id, self.d["id"]))
        for rv in self.lent:
            m, tok = rv["node"], rv["token"]
            m.t.ctl(tok, "reviewer", "profile", "--school", rv["school"], "--district",
                    rv["district"], "--domains", "ELA")
            app = m.t.ctl(tok, "reviewer", "apply", "--peer", self.state.node_id, self.d["id"],
                          "--answer", "domain_expertise=8 years teaching ELA",
                          "--answer", "manual=National Board Certified, 2019")
            aid = app["id"]
            wait_for("the state's screening of %s" % rv["name"],
                     lambda: m.t.ctl(tok, "remote", "show", aid)["state"] not in ("sent",))
            users = self.t.ctl(self.admin, "user", "list")["items"]
            rv["stand_in"] = next(u["id"] for u in users
                                  if u["name"] == "%d.%s" % (rv["id"], m.node_id))
            self.t.ctl(self.admin, "reviewer", "screen", self.ref, rv["stand_in"], "approve",
                       "--reason", "NBCT status checked with the district")
            wait_for("screening to reach %s" % m.node_id,
                     lambda: m.t.ctl(tok, "remote", "show", aid)["state"] == "screened")
            m.t.ctl(tok, "remote", "trained", aid)
            wait_for("training", lambda: m.t.ctl(tok, "remote", "show", aid)["state"] == "trained")
            m.t.ctl(tok, "remote", "attempt", aid)
            r = wait_for("a draw from the state", lambda: (
                m.t.ctl(tok, "remote", "show", aid).get("issuer_says") or {}).get("attempt"))
            answers = [{"item_id": it["item_id"],
                        "level": LEVELS[self.bench_by_text[it["content"]]]} for it in r["items"]]
            m.t.ctl(tok, "remote", "answer", aid, r["id"], write_json(
                os.path.join(self.data, "answers-%s.json" % rv["name"]), answers))
            c = wait_for("certification", lambda: (lambda x: x if x["state"] == "certified" and
                                                   x.get("has_record") else None)(
                m.t.ctl(tok, "remote", "show", aid)))
            state = self.t.ctl(self.admin, "def", "show", self.ref).get("state")
            say("%-5s (%s, %s): applied on %s, screened by the state, trained, %d items answered "
                "-> certified, signed record held at %s; credential %s" % (
                    rv["name"], rv["school"], m.node_id, m.node_id, len(answers), m.node_id, state))
        pool = self.t.ctl(self.admin, "reviewer", "pool", self.ref)
        say("state pool: %s certified (own %d + %d from the districts), minimum %s" % (
            pool.get("certified"), len(self.reviewers), len(self.lent), pool.get("minimum")))
        show(self.t.text(self.admin, "lending", "capacity"), limit=6)
        state = self.t.ctl(self.admin, "def", "show", self.ref).get("state")
        if state != "active":
            raise DemoError("the credential is %s, not active, with the pool at the minimum"
                            % state)
        self.summary.append("pool: %s certified = %d state + %d district reviewers certified "
                            "across nodes (minimum %s) -> active" % (
                                pool.get("certified"), len(self.reviewers), len(self.lent),
                                pool.get("minimum")))

    # -- submissions
    def evidence_files(self, name, text):
        """Uploads an earner's files (criteria, video stand-in, drafts); returns
        accordctl --artifact arguments."""
        folder = os.path.join(self.data, "evidence", name)
        os.makedirs(folder, exist_ok=True)
        files = {
            "criteria": ("criteria.md", "text/markdown",
                         ("# Success criteria (%s)\n- I state a clear claim.\n- I give two "
                          "reasons with evidence.\n- I revise after feedback.\n" % name).encode()),
            "feedback-video": ("conference.mp4", "video/mp4",
                               b"\x00\x00\x00\x18ftypmp42" + os.urandom(4096)),
            "revisions": ("drafts.txt", "text/plain",
                          ("Draft 1 and draft 2 from %s's class.\n%s\n" % (name, text)).encode()),
        }
        args = []
        for el, (fname, mtype, data) in files.items():
            path = os.path.join(folder, fname)
            with open(path, "wb") as f:
                f.write(data)
            a = self.t.ctl(self.earners[name]["token"], "artifact", "upload", path,
                           "--media-type", mtype)
            args += ["--artifact", "%s=%s" % (el, a.get("sha256") or a.get("hash"))]
        return args

    def submit(self):
        step("A peak: five teachers submit evidence at once")
        # The policy names the issuer as its records do (iss = the node's base
        # URL); a policy's default issuer is the node id, which totals never
        # match against a record's iss.
        pol = self.rec.t.ctl(self.recognizer["token"], "recognize", "policy-add", self.d["id"],
                         "--purpose", "ceu", "--issuer", self.url)
        say("recognizer %s: recognize policy-add %s --purpose ceu --issuer %s (policy %s; the "
            "record's own CEUs count)" % (self.recognizer["name"], self.d["id"], self.url,
                                          pol.get("id")))
        cat = self.t.ctl(self.earners["tess"]["token"], "catalog", "--domain", "ELA")
        for c in cat.get("items", []):
            say("catalog --domain ELA: %s@%s \"%s\", %s CEUs, stacks %s" % (
                c.get("credential_id"), c.get("version"), c.get("title"), c.get("ceus"),
                ",".join(c.get("stacks", []))))
        self.subs = {}          # submission id -> earner name
        self.scripts = {}       # reflection text -> list of per-element levels
        self.reviewed_by = {}   # reflection text -> reviewer names
        self.by_home = {}       # node id -> reviews of real submissions given from it
        for name, _, school, district, text, script in EARNERS:
            self.submit_one(name, school, district, text, script)
        self.late = list(LATE_EARNERS)
        pool = self.d["pool"]
        say("accordctl lending borrowing %s (when the state's work goes to borrowed reviewers):"
            % self.d["id"])
        show(self.t.text(self.admin, "lending", "borrowing", self.d["id"]), limit=3)
        per = self.d["reviewers"]["per_submission"]
        say("the peak: %d submissions at once need %d reviews (and blind benchmarks); the "
            "state's own %d reviewers hold one batch each at a time (batch size 1), so the "
            "rest is offered to the %d borrowed reviewers (the pool formula, %d a day x %d / %d "
            "a reviewer, asks for %d)" % (
                len(EARNERS), len(EARNERS) * per, len(self.reviewers), len(self.lent),
                pool["submissions_per_period"], per, pool["assignments_per_reviewer"],
                self.minimum))

    def submit_one(self, name, school, district, text, script):
        self.subs_by_name = getattr(self, "subs_by_name", {})
        e = self.earners[name]
        args = self.evidence_files(name, text)
        s = self.t.ctl(e["token"], "submission", "create", self.d["id"], *args,
                       "--text", "portfolio-link=https://portfolio.example/%s" % name,
                       "--text", "reflection=" + text, "--domain", "ELA",
                       "--school", school, "--district", district)
        self.subs[s["id"]] = name
        self.scripts[text] = list(script)
        e["submission"] = s["id"]
        say("%-6s (%s) submission %d: 3 files uploaded (hash-checked), link, reflection -> %s"
            % (name, school[:20], s["id"], s.get("state")))
        return s["id"]

    def review_round(self, label, stop=None):
        """Reviewers accept their invitations and score until every open
        submission is decided; returns the number of reviews given."""
        reviews, seeded, t0 = 0, 0, time.monotonic()
        per_reviewer = {}
        lent_before = self.lent_counts["scored"]

        def all_decided():
            subs = self.t.ctl(self.admin, "submission", "list", "--credential", self.d["id"])
            return subs["items"] and all(s["state"] in ("decided", "notified", "rejected")
                                         for s in subs["items"])

        deadline = time.monotonic() + 60
        while True:
            worked = False
            for rv in self.reviewers:
                inv = self.t.ctl(rv["token"], "review", "invitations")
                for b in inv.get("items", []):
                    if b.get("state") == "invited":
                        self.t.ctl(rv["token"], "review", "accept", b["id"])
                        worked = True
                        b["state"] = "accepted"
                    if b.get("state") != "accepted":
                        continue
                    for a in b.get("items", []):
                        if a.get("state") not in ("accepted", "invited"):
                            continue
                        asg = self.t.ctl(rv["token"], "review", "show", a["assignment"])
                        texts = {el["id"]: el.get("text") for el in asg.get("elements", [])}
                        levels = self.levels_for(texts)
                        if levels is not None:
                            self.reviewed_by.setdefault(texts["reflection"], []).append(rv["name"])
                            self.by_home[self.state.node_id] = \
                                self.by_home.get(self.state.node_id, 0) + 1
                        if levels is None:
                            seeded += 1
                            lvl = self.bench_level(texts)
                            levels = [LEVELS[lvl]] * len(self.d["submission"]["elements"])
                        args = []
                        for el, lv in zip(self.d["submission"]["elements"], levels):
                            args += ["--element", "%s=%s" % (el["id"], lv)]
                        self.t.ctl(rv["token"], "review", "score", a["assignment"], *args,
                                   "--feedback", "Clear criteria; next step: give revision "
                                   "time in class and ask students what they changed.")
                        reviews += 1
                        per_reviewer[rv["name"]] = per_reviewer.get(rv["name"], 0) + 1
                        worked = True
            worked = self.lent_work() or worked
            if stop and stop():
                break
            if not worked:
                if self.quiet_batch and self.reclaim_quiet():
                    continue
                if all_decided():
                    break
                if time.monotonic() > deadline:
                    raise DemoError("%s: submissions still undecided after 60 s" % label)
                time.sleep(0.2)
        lent = self.lent_counts["scored"] - lent_before
        say("%s: %d reviews on the state by %d reviewers (%d blind benchmark item%s seeded), "
            "%d on the districts' nodes, in %.1f s" % (
                label, reviews, len(per_reviewer), seeded, "" if seeded == 1 else "s", lent,
                time.monotonic() - t0))
        return reviews

    def lent_work(self):
        """District reviewers work their lent batches on their own nodes, each
        in their way (LENT_REVIEWERS); returns True when anything was done."""
        worked = False
        for rv in self.lent:
            m, tok = rv["node"], rv["token"]
            for b in m.t.ctl(tok, "borrowed", "list").get("items", []):
                key = (m.node_id, b["id"])
                if b.get("state") in ("offered", "invited"):
                    if rv["behaviour"] == "declines" and not rv.get("declined"):
                        rv["declined"] = True
                        m.t.ctl(tok, "borrowed", "decline", b["id"])
                        self.lent_counts["declined"] += 1
                        say("%s declines lent batch %d on %s (before seeing any content); the "
                            "state gives the work to someone else" % (rv["name"], b["id"],
                                                                      m.node_id))
                    else:
                        m.t.ctl(tok, "borrowed", "accept", b["id"])
                    worked = True
                    continue
                if b.get("state") != "accepted" or key in self.lent_done:
                    continue
                if rv["behaviour"] == "goes quiet" and self.quiet_armed and not self.quiet_batch:
                    self.quiet_batch = (rv, b)
                    say("%s accepts lent batch %d on %s and then goes quiet (deadline %s)" % (
                        rv["name"], b["id"], m.node_id, b.get("deadline")))
                    continue
                if self.quiet_batch and self.quiet_batch[1]["id"] == b["id"] \
                        and self.quiet_batch[0] is rv:
                    continue
                for it in b.get("items", []):
                    iid = it["id"] if isinstance(it, dict) else it
                    shown = m.t.ctl(tok, "borrowed", "show", iid)
                    texts = {el["id"]: el.get("text") for el in shown.get("elements", [])}
                    levels = self.levels_for(texts)
                    if levels is not None:
                        self.reviewed_by.setdefault(texts["reflection"], []).append(rv["name"])
                        self.by_home[m.node_id] = self.by_home.get(m.node_id, 0) + 1
                    else:
                        levels = [LEVELS[self.bench_level(texts)]] * len(
                            self.d["submission"]["elements"])
                        self.lent_counts["seeded"] += 1
                    if rv["behaviour"] == "lenient":
                        levels = ["high pass"] * len(levels)
                    m.t.ctl(tok, "borrowed", "score", iid, "--level", ",".join(levels),
                            "--feedback", "Scored on %s for the state." % m.node_id)
                    self.lent_counts["scored"] += 1
                self.lent_done.add(key)
                worked = True
        return worked

    def reclaim_quiet(self):
        """Moves every node's test clock past the quiet reviewer's deadline,
        waits for the state to reclaim the batch, and has the reviewer try to
        score too late; returns True once the state has reclaimed it."""
        rv, b = self.quiet_batch
        m = rv["node"]
        days = self.d["review"]["deadline_days"] + 1
        for node in self.members:
            code, _ = node.api("POST", "/v1/test/clock", body={"advance_seconds": days * 86400})
            if code != 200:
                raise DemoError("POST /v1/test/clock on %s answered %d" % (node.node_id, code))
        say("%s never scores; every node's test clock moves %d days, past the %d-day deadline"
            % (rv["name"], days, self.d["review"]["deadline_days"]))

        def reclaimed():
            st = self.state.api("GET", "/v1/federation/borrowed?limit=200")[1] or {}
            return [x for x in st.get("items", []) if x.get("state") == "reclaimed"]
        got = wait_for("the state to reclaim %s's batch" % rv["name"], reclaimed, timeout=30)
        self.lent_counts["reclaimed"] = len(got)
        say("the state's scheduler reclaims its batch %s (%s), tells %s and offers the work "
            "to another reviewer" % (got[0].get("batch"), got[0].get("reason"), m.node_id))
        for it in b.get("items", [])[:1]:
            iid = it["id"] if isinstance(it, dict) else it
            r = m.t.ctl_raw(rv["token"], "borrowed", "score", iid, "--level",
                            ",".join(["pass"] * len(self.d["submission"]["elements"])),
                            json_out=False, ok=(0, 1))
            if r.returncode == 0:
                raise DemoError("%s's score after the reclaim was taken" % rv["name"])
            why = r.stderr.strip().splitlines()[0]
            say("%s scores now, too late: %s refuses it (exit %d): %s" % (
                rv["name"], m.node_id, r.returncode, why[why.find(": ") + 2:][:100]))
        self.quiet_batch = None
        self.quiet_armed = False
        return True

    def deadline(self):
        step("A district reviewer goes quiet: the review deadline passes and the state reclaims")
        # A review deadline is at least a day (the definition's rule). A node
        # built with the test clock (ctest's build) lets the demo move every
        # node's clock past it; a release build has none, and the demo does
        # not wait a day or pretend it did.
        code, _ = self.state.api("POST", "/v1/test/clock", body={"advance_seconds": 0})
        if code != 200:
            say("not shown on this build: a review deadline is at least a day (review.deadline_"
                "days >= 1) and a release build has no test clock to move, so the demo does not "
                "wait for it. tests/integration/test_demo.py runs this step on the test build; "
                "test_borrow_timeout.py checks the reclaim and the refused late result.")
            self.summary.append("timeout: reclaimed 0 - not shown: deadline >= 1 day, and a "
                                "release build has no test clock")
            return
        self.quiet_armed = True
        if not self.late_wave(lambda: self.quiet_batch, early=True):
            raise DemoError("sol was offered none of the late submissions")
        taken = self.quiet_batch
        self.review_round("after the reclaim")
        self.summary.append("timeout: reclaimed %d - %s (south) went quiet; %d days on (test "
                            "clock) the state took the batch back, her late score refused" % (
                                self.lent_counts["reclaimed"], taken[0]["name"],
                                self.d["review"]["deadline_days"] + 1))

    def levels_for(self, texts):
        refl = texts.get("reflection")
        script = self.scripts.get(refl)
        if script is None:
            return None
        if not script:
            raise DemoError("more reviews asked for than scripted for: %s..." % refl[:40])
        return script.pop(0)

    def bench_level(self, texts):
        for t in texts.values():
            if t in self.bench_by_text:
                return self.bench_by_text[t]
        raise DemoError("an assignment that is neither a submission nor a benchmark: %r" % texts)

    def review(self):
        step("State and district reviewers accept or decline and score (batches of one)")
        self.lent_counts = {"declined": 0, "scored": 0, "seeded": 0, "reclaimed": 0}
        self.lent_done = set()
        self.quiet_batch = None
        self.quiet_armed = False  # sol goes quiet only in the deadline step
        rv = self.reviewers[0]
        wait_for("the first invitations", lambda: self.t.ctl(rv["token"], "review",
                                                             "invitations")["items"])
        say("what %s sees (accordctl review invitations):" % rv["name"])
        show(self.t.text(rv["token"], "review", "invitations"), limit=6)
        self.total_reviews = self.review_round("round 1")
        say("district reviewers: %(scored)d items scored on their own nodes (%(seeded)d of them "
            "blind benchmark items), %(declined)d batch declined" % self.lent_counts)
        say("reviews of real submissions by where the reviewer lives: %s" % ", ".join(
            "%s %d" % (k, v) for k, v in sorted(self.by_home.items())))
        self.summary.append("peak: %d submissions at once; reviews given from %s" % (
            len(EARNERS), ", ".join("%s %d" % (k.split(".")[0], v)
                                    for k, v in sorted(self.by_home.items()))))
        self.summary.append("declined: %d - nate (north) declined a lent batch unseen; the state "
                            "offered it to another reviewer" % self.lent_counts["declined"])
        if not self.sky_flag():
            say("sky has not been sent enough blind benchmark items yet (seeding is random): "
                "more teachers submit, three at a time, until the state's monitoring can judge")
            # Eighteen at most, so some are left for the deadline step. Which
            # lent reviewer the state's overflow reaches is chance too (under
            # a sanitizer build the state's own reviewers take more of it),
            # so a few waves may pass before sky's first blind item.
            if not self.late_wave(self.sky_flag, most=18):
                raise DemoError("the state's monitoring did not flag sky after 18 more "
                                "submissions")
        self.caught()

    def late_wave(self, until, burst=3, most=None, early=False):
        """Submissions by the late teachers, |burst| at a time (one at a time
        the state's own reviewers take them all: each holds a batch at once),
        each burst worked until decided (|early|: or until |until()| holds);
        returns True once |until()| does. At most |most| submissions (default:
        every late one left)."""
        left = len(self.late) if most is None else most
        while self.late and left > 0:
            left -= min(burst, len(self.late))
            names = []
            for _ in range(min(burst, len(self.late))):
                name, _, school, district, text, script = self.late.pop(0)
                self.submit_one(name, school, district, text, script)
                names.append(name)
            self.review_round("the submissions of %s" % ", ".join(names),
                              stop=until if early else None)
            if until():
                return True
        return False

    def sky_flag(self):
        sky = next(rv for rv in self.lent if rv["behaviour"] == "lenient")
        # Every page of the open flags (monitoring flags every reviewer whose
        # agreement with consensus dips, so there are more than one page's 50).
        flags, after = [], ""
        while True:
            code, page = self.state.api("GET", "/v1/flags?limit=200" + after)
            if code != 200:
                raise DemoError("GET /v1/flags on the state answered %d: %s" % (code, page))
            flags += page.get("items", [])
            if not page.get("next_cursor"):
                break
            after = "&after=" + str(page["next_cursor"])
        return [f for f in flags if f.get("reviewer") == sky["stand_in"]
                and (f.get("detail") or {}).get("measure") == "benchmark_agreement"]

    def caught(self):
        """What the state's monitoring made of sky's lenient scores on the
        blind benchmark items, and what south.example was told."""
        sky = next(rv for rv in self.lent if rv["behaviour"] == "lenient")
        mine = self.sky_flag()
        m = sky["node"]
        remote = {r.get("user_id"): r for r in m.t.ctl(m.admin, "remote", "list").get("items", [])}
        there = (remote.get(sky["id"]) or {}).get("state")
        if not mine:
            raise DemoError("the state's monitoring did not flag sky (stand-in %d) on blind "
                            "benchmarks" % sky["stand_in"])
        det = mine[0]["detail"]
        say("the state's monitoring, flag %d on sky (stand-in %d): %s -> %s" % (
            mine[0]["id"], sky["stand_in"], det.get("reason"), det.get("outcome")))
        say("south.example, told by a signed cert.state: sky's certification there is now %s"
            % there)
        self.summary.append("blind benchmark: sky (south) scores leniently -> %s -> %s" % (
            det.get("reason").replace("agreement with benchmarks", "agreement"),
            det.get("outcome")))

    def decisions(self):
        step("The state decides")
        self.outcomes = {}
        for sid, name in sorted(self.subs.items()):
            s = self.t.ctl(self.earners[name]["token"], "submission", "show", sid)
            self.outcomes[sid] = s
            say("%-6s submission %d: %-4s level %-12s after %d reviews (%s)" % (
                name, sid, "PASS" if s.get("passed") else "FAIL", s.get("level"),
                s.get("reviews_wanted"), s.get("reason")))
        passed = sum(1 for s in self.outcomes.values() if s.get("passed"))
        self.summary.append("decisions: %d submissions, %d passed, %d did not pass yet; records "
                            "issued by state.example" % (
                                len(self.outcomes), passed, len(self.outcomes) - passed))

    def resubmit(self):
        step("A failed earner resubmits (wait 0 days here) and is reviewed by new reviewers")
        ravi = self.earners["ravi"]
        text, script = RESUBMISSION
        self.scripts[text] = list(script)
        args = []
        for el in ("criteria", "feedback-video", "revisions"):
            args += ["--artifact", "%s=%s" % (el, self.artifact_of(ravi["submission"], el))]

        def resubmitted():
            r = self.t.ctl_raw(ravi["token"], "submission", "resubmit", ravi["submission"], *args,
                               "--text", "portfolio-link=https://portfolio.example/ravi-v2",
                               "--text", "reflection=" + text, ok=(0, 1))
            return json.loads(r.stdout) if r.returncode == 0 else None
        s = wait_for("the resubmission window to open", resubmitted, timeout=15, every=0.3)
        self.subs[s["id"]] = "ravi"
        say("ravi resubmits (submission %d, after %d): same files, new reflection -> %s" % (
            s["id"], ravi["submission"], s.get("state")))
        self.total_reviews += self.review_round("round 2")
        before = self.reviewed_by[next(e[4] for e in EARNERS if e[0] == "ravi")]
        after = self.reviewed_by[text]
        say("first attempt reviewed by %s; the resubmission by %s (none of them again)" % (
            ", ".join(before), ", ".join(after)))
        if set(before) & set(after):
            raise DemoError("a reviewer of ravi's first attempt reviewed the resubmission")
        s = self.t.ctl(ravi["token"], "submission", "show", s["id"])
        say("ravi submission %d: %s, level %s (%s)" % (
            s["id"], "PASS" if s.get("passed") else "FAIL", s.get("level"), s.get("reason")))
        self.outcomes[s["id"]] = s
        self.summary.append("resubmission: ravi's second submission -> %s" % s.get("level"))

    def artifact_of(self, sid, element):
        s = self.t.ctl(self.earners["ravi"]["token"], "submission", "show", sid)
        for el in s.get("elements", []):
            if el.get("id") == element:
                return el.get("artifact") or el.get("sha256")
        raise DemoError("submission %d has no artifact for %s" % (sid, element))

    def mail(self):
        step("Outcomes in the state node's maildir")
        new = os.path.join(self.node_data, "maildir", "new")
        outcomes = len(self.outcomes)

        def delivered():
            if not os.path.isdir(new):
                return None
            found = []
            for f in sorted(os.listdir(new)):
                with open(os.path.join(new, f), errors="replace") as fh:
                    msg = fh.read()
                found.append((f, msg))
            n = sum(1 for _, m in found if "Subject: Outcome" in m)
            return found if n >= outcomes else None
        msgs = wait_for("%d outcome messages in the maildir" % outcomes, delivered)
        kinds = {}
        for _, m in msgs:
            subj = next((ln[9:] for ln in m.splitlines() if ln.startswith("Subject: ")), "?")
            kinds[subj.split(":")[0]] = kinds.get(subj.split(":")[0], 0) + 1
        say("%d messages in %s: %s" % (len(msgs), rel(new), ", ".join(
            "%d %s" % (v, k) for k, v in sorted(kinds.items()))))
        tess = self.earners["tess"]["submission"]
        pick = next((m for f, m in msgs if "Subject: Outcome" in m and str(tess) in m),
                    next(m for f, m in msgs if "Subject: Outcome" in m))
        say("one of them (to tess):")
        show(pick, limit=16)


    def record(self):
        step("The state issues the passes as signed records; the recognizer witnesses its log")
        tess = self.earners["tess"]
        passed = [sid for sid, o in self.outcomes.items() if o.get("passed")]

        def issued():
            recs = [self.t.ctl(self.admin, "submission", "show", sid).get("record")
                    for sid in passed]
            return recs if all(recs) else None
        recs = wait_for("the records of %d passes" % len(passed), issued)
        self.record_id = self.t.ctl(tess["token"], "submission", "show",
                                    tess["submission"])["record"]
        say("%d records issued by %s (records %s)" % (len(recs), self.state.node_id,
                                                      ", ".join(str(r) for r in recs)))
        show(self.t.text(tess["token"], "credential", "show", self.record_id), limit=12)
        # The recognizer grants the state "issuer", so it witnesses the state's
        # log: it fetches the signed checkpoint, checks it extends the last one
        # it kept, and sends back a cosignature (docs/federation.md). It does
        # so every minute; the demo asks for a round now.
        code, _ = self.rec.api("POST", "/v1/federation/witness")
        if code != 202:
            raise DemoError("POST /v1/federation/witness on the recognizer answered %d" % code)

        def cosigned():
            code, text = self.state.api("GET", "/v1/federation/cosignatures")
            lines = [ln for ln in (text or "").splitlines() if self.rec.node_id in ln] \
                if code == 200 and isinstance(text, str) else []
            return lines
        lines = wait_for("the recognizer's cosignature at the state", cosigned)
        say("the recognizer cosigned the state's current checkpoint (consistent with every "
            "earlier one it kept):")
        show(lines[0][:100] + "...")
        self.wallet = os.path.join(self.data, "wallet")
        os.makedirs(self.wallet)
        out = self.t.text(tess["token"], "credential", "export", self.record_id, "--out",
                          self.wallet)
        say("tess: accordctl credential export %s --out %s (the bundle carries the checkpoint "
            "and its cosignatures)" % (self.record_id, rel(self.wallet)))
        show(out)
        self.bundle = os.path.join(self.wallet, "credential-%s.bundle.cbor" % self.record_id)
        self.cose = os.path.join(self.wallet, "credential-%s.cose" % self.record_id)
        for f in sorted(os.listdir(self.wallet)):
            say("  %-32s %6d bytes" % (f, os.path.getsize(os.path.join(self.wallet, f))))

    def witness_vkey(self, m):
        """|m|'s C2SP verifier key, as a trust file lists a witness."""
        key = bytes.fromhex(m.public_key)
        kid = hashlib.sha256(m.node_id.encode() + b"\n\x04" + key).digest()[:4]
        return "%s+%s+%s" % (m.node_id, kid.hex(), base64.b64encode(b"\x04" + key).decode())

    def verify_offline(self):
        step("accord-verify checks the bundle offline: the state's keys, the recognizer as witness")
        jwks = json.loads(h2_get(self.url + "/.well-known/jwks.json", self.t.ca))
        self.trust = write_json(os.path.join(self.data, "trust.json"),
                                {"issuers": [{"iss": self.url, "keys": jwks["keys"]}],
                                 "witnesses": [self.witness_vkey(self.rec)]})
        say("trust file %s: issuer %s, %d key(s) from /.well-known/jwks.json (curl), witness %s"
            % (rel(self.trust), self.url, len(jwks["keys"]), self.rec.node_id))
        r = self.t.verify("--trust", self.trust, "--witnesses", "1", self.bundle)
        say("accord-verify --trust trust.json --witnesses 1 %s   (exit %d)" % (
            os.path.basename(self.bundle), r.returncode))
        show(r.stdout)
        if r.returncode != 0:
            raise DemoError("the exported bundle did not verify (exit %d)" % r.returncode)
        self.summary.append("record %s: accord-verify offline, cosigned by the recognizer -> "
                            "VERIFIED valid (exit 0)" % self.record_id)

    def recognize(self):
        step("tess presents her credential to the recognizer node, which verifies it itself")
        tok = self.recognizer["token"]
        # The recognizer's node verifies the bundle itself: the state's keys,
        # the log proof and the status, fetched from the state now.
        p = self.rec.t.ctl(tok, "recognize", "present", "tess", self.bundle, "--bundle",
                           "--email", "tess@district.example")
        self.verdict = p.get("verdict")
        say("recognize present tess %s --bundle on %s: presentation %s, verdict %s, verified by "
            "%s" % (os.path.basename(self.bundle), self.rec.node_id, p.get("id"), self.verdict,
                    p.get("verified_by")))
        checks = p.get("checks")
        if isinstance(checks, str):
            checks = json.loads(checks)
        for c in checks or []:
            say("  %-7s %-10s %s" % (c.get("result"), c.get("check"), c.get("reason", "")[:90]))
        say("(no witness check of its own: the recognizer is the state's witness itself; its "
            "history check compares the bundle's checkpoint with the state's current one)")
        self.recognizer_checks = [c.get("check") for c in checks or []
                                  if c.get("result") == "pass"]
        show(self.rec.t.text(tok, "recognize", "total", "tess"))
        total = self.rec.t.ctl(tok, "recognize", "total", "tess")
        self.ceu_before = total["totals"].get("ceu")
        say("tess's recognized CEUs: %s" % self.ceu_before)
        if self.verdict != "valid":
            raise DemoError("the recognizer's verdict is %s, not valid" % self.verdict)
        main = [c for c in self.recognizer_checks
                if c in ("signature", "log", "log-fetch", "history", "status")]
        self.summary.append("recognizer: verdict %s from its own checks (%s); CEUs %s" % (
            self.verdict.upper(), ", ".join(main), self.ceu_before))

    def revoke(self):
        step("The state revokes the record; accord-verify --fetch and the recognizer say revoked")
        self.t.ctl(self.admin, "credential", "revoke", self.record_id, "--reason",
                   "evidence found to be another teacher's work")
        say("credential revoke %s --reason \"evidence found to be another teacher's work\""
            % self.record_id)
        r = self.t.verify("--trust", self.trust, "--fetch", self.cose)
        say("accord-verify --trust trust.json --fetch %s   (exit %d)" % (
            os.path.basename(self.cose), r.returncode))
        show(r.stdout)
        if r.returncode != 1 or "revoked" not in r.stdout.lower():
            raise DemoError("after revocation accord-verify --fetch exited %d without 'revoked'"
                            % r.returncode)
        self.rec.t.ctl(self.recognizer["token"], "recognize", "present", "tess", self.cose,
                   "--email", "tess@district.example")
        total = self.rec.t.ctl(self.recognizer["token"], "recognize", "total", "tess")
        self.ceu_after = total["totals"].get("ceu")
        say("re-presented to the district: tess's recognized CEUs %s -> %s" % (
            self.ceu_before, self.ceu_after))
        self.summary.append("record %s: revoked by the state; accord-verify --fetch -> REVOKED "
                            "(exit 1); tess's CEUs %s -> %s" % (
                                self.record_id, self.ceu_before, self.ceu_after))

    def irr(self):
        step("accordctl irr on the pilot scores (computed locally, no node)")
        path = os.path.join(self.data, "pilot-scores.csv")
        out = self.t.text(None, "irr", path, "--scale", ",".join(LEVELS))
        show(out)

    def analytics(self):
        step("The state's analytics")
        a = self.t.ctl(self.admin, "analytics", "credential", self.d["id"])
        ag = a.get("agreement", {})

        def stat(k):
            v = (ag.get(k) or {}).get("value")
            return "n/a" if v is None else "%.2f" % v
        say("accordctl analytics credential %s: %s submissions, %s decided, pass rate %.2f, "
            "%s reviews" % (self.d["id"], a.get("submissions"), a.get("decided"),
                            a.get("pass_rate") or 0, a.get("reviews")))
        say("reviewer agreement on submissions: exact %s, Fleiss' kappa %s, Krippendorff's "
            "alpha (ordinal) %s; discrepancy rate %s" % (
                stat("exact"), stat("fleiss_kappa"), stat("krippendorff_alpha_ordinal"),
                a.get("discrepancy_rate")))

    def ledgers(self):
        step("The ledgers: who lent what, as each node signed it")
        led = {}
        for m in (self.state, self.north, self.south):
            say("accordctl ledger on %s:" % m.node_id)
            show(m.t.text(m.admin, "ledger"), limit=3)
            led[m.node_id] = {p["peer"]: p for p in m.t.ctl(m.admin, "ledger").get("peers", [])}
        agree = True
        for m in (self.north, self.south):
            lent = led[m.node_id].get(self.state.node_id, {}).get("lent", 0)
            borrowed = led[self.state.node_id].get(m.node_id, {}).get("borrowed", 0)
            say("%s lent %d reviews to the state; the state's ledger says it borrowed %d from %s"
                " -> %s" % (m.node_id, lent, borrowed, m.node_id,
                            "agree" if lent == borrowed else "DISAGREE"))
            agree = agree and lent == borrowed and lent > 0
        if not agree:
            raise DemoError("the ledgers of the state and the districts do not agree")
        late = sum(p.get("late_results_refused", 0) for p in led[self.state.node_id].values())
        self.summary.append("ledgers agree: state borrowed %s; north lent %d, south lent %d "
                            "(late results refused %d)" % (
                                ", ".join("%d from %s" % (p.get("borrowed", 0), k.split(".")[0])
                                          for k, p in sorted(led[self.state.node_id].items())
                                          if p.get("borrowed")),
                                led[self.north.node_id][self.state.node_id]["lent"],
                                led[self.south.node_id][self.state.node_id]["lent"], late))

    def signin_links(self):
        """Asks each role's node to mail a one-time sign-in link
        (POST /v1/session/link, as the sign-in page does) and reads it from
        that node's maildir; returns [(role, node, user, link)]."""
        who = [("issuer (state admin)", self.state, "admin"),
               ("teacher", self.state, "tess"),
               ("expert", self.state, "ada"),
               ("reviewer (state)", self.state, "rhea"),
               ("reviewer (north)", self.north, "nia"),
               ("district admin (north)", self.north, "admin"),
               ("district admin (south)", self.south, "admin"),
               ("recognizer", self.rec, "hr")]
        out = []
        for role, m, user in who:
            code, _ = m.api("POST", "/v1/session/link", body={"name": user})
            if code != 202:
                raise DemoError("POST /v1/session/link for %s on %s answered %d" % (
                    user, m.node_id, code))
            pat = re.compile(r"as %s\.\s.*?(%s/link\.html#\S+)" % (re.escape(user),
                                                                      re.escape(m.url)), re.S)

            def mailed():
                new = os.path.join(m.data, "maildir", "new")
                for f in sorted(os.listdir(new)) if os.path.isdir(new) else []:
                    with open(os.path.join(new, f), errors="replace") as fh:
                        hit = pat.search(fh.read().replace("=\n", ""))
                    if hit and hit.group(1) not in (o[3] for o in out):
                        return hit.group(1)
                return None
            out.append((role, m, user, wait_for("%s's sign-in link in %s's maildir" % (
                user, m.node_id), mailed)))
        return out

    def print_summary(self):
        print("\nSUMMARY: %d steps, all ok (%.1f s, %d accordctl calls)" % (
            STEP[0], time.monotonic() - STARTED, sum(m.t.calls for m in self.members)))
        for s in self.summary:
            print("  - " + s)
        print("  - sign-in links for %d roles below; everything is in %s" % (
            self.links, rel(self.data)))

    def run(self):
        self.start_consortium()
        self.users()
        self.author()
        self.pilot()
        self.benchmarks()
        self.training()
        self.recruit()
        self.recruit_across()
        self.submit()
        self.review()
        self.decisions()
        self.resubmit()
        self.analytics()
        self.mail()
        self.record()
        self.verify_offline()
        self.recognize()
        self.revoke()
        self.deadline()
        self.ledgers()
        self.irr()


def where():
    return "in step %d" % STEP[0] if STEP[0] else "before the first step"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data", default=os.path.join(ROOT, "demo-data"))
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--serve", action="store_true",
                    help="keep the nodes running after the summary until Ctrl-C")
    args = ap.parse_args()
    # Stop the nodes on SIGTERM and SIGINT too (SIGINT explicitly: a shell
    # starting the demo in the background leaves it ignored).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    demo = Demo(args)
    print("Accord consortium demo: a state issuer, two districts and a recognizer on loopback "
          "(build %s)" % demo.build)
    status = 0
    links = []
    try:
        demo.run()
        links = demo.signin_links()
        demo.links = len(links)
    except DemoError as e:
        print("\nDEMO FAILED %s: %s" % (where(), e), file=sys.stderr)
        status = 1
    except Exception:  # an answer of an unexpected shape: say where
        traceback.print_exc()
        print("\nDEMO FAILED %s (see the traceback above)" % where(), file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        status = 130
    if status == 0:
        demo.print_summary()
        print_links(demo, links, args.serve)
        if args.serve:
            try:
                while all(m.proc.poll() is None for m in demo.members):
                    time.sleep(0.5)
                print("a node exited; stopping the others", file=sys.stderr)
                status = 1
            except KeyboardInterrupt:
                print()
    rc = demo.stop_nodes()
    if any(m.proc for m in demo.members):
        print("Stop the nodes: SIGTERM -> exit %s" % rc)
        if rc != 0 and status == 0:
            status = 1
    return status


def print_links(demo, links, serve):
    """Issue 14's ending: each role's page and a one-time sign-in link."""
    print("\nSIGN IN (the nodes' pages, over TLS with the throwaway certificate %s: tell the "
          "browser to accept it; each link works once, for 30 minutes)" % rel(demo.tls[0]))
    for role, m, user, link in links:
        print("  %-22s %-18s %s" % (role, "%s@%s" % (user, m.node_id.split(".")[0]), link))
    if serve:
        print("The nodes keep running until Ctrl-C (--serve).")
    else:
        print("The nodes stop now; run with --serve to keep them running, or start one again "
              "with: %s --config %s" % (rel(demo.t.node_bin), rel(demo.state.conf)))


if __name__ == "__main__":
    sys.exit(main())
