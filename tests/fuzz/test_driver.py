"""test_driver - the fuzz driver keeps the input that crashes a target: run
a target that crashes on any input starting with 0xff (driver_selftest.c)
over a one-seed corpus; a mutation soon crashes it, by abort() and, in a
second run, by SIGSEGV (which a sanitizer build reports itself). The driver
must say where it saved the input, the file must hold an input that starts
with 0xff, and replaying that file alone must crash again. Also: a bad
ACCORD_FUZZ_RUNS is refused, not read as 0."""
import os
import re
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
failed = 0


def check(cond, what):
    global failed
    print(("ok - " if cond else "not ok - ") + what)
    failed += not cond


with tempfile.TemporaryDirectory() as tmp:
    corpus = os.path.join(tmp, "corpus")
    os.mkdir(corpus)
    with open(os.path.join(corpus, "seed"), "wb") as f:
        f.write(b"ab")
    for how in ("abort", "segv"):
        crashes = os.path.join(tmp, how)
        os.mkdir(crashes)
        env = dict(os.environ, ACCORD_FUZZ_CRASH_DIR=crashes, ACCORD_FUZZ_RUNS="20000",
                   ACCORD_SELFTEST_CRASH=how)
        r = subprocess.run([BIN, corpus], capture_output=True, text=True, env=env, timeout=120)
        check(r.returncode != 0, "%s: the crashing run fails (exit %d)" % (how, r.returncode))
        check(how != "segv" or "AddressSanitizer" in r.stderr or r.returncode == -11,
              "%s: the process still dies of its signal (or the sanitizer's report)" % how)
        m = re.search(r"the input is saved as (\S+)", r.stderr)
        check(m is not None, "%s: the driver says where the input is saved" % how)
        files = os.listdir(crashes)
        check(len(files) == 1 and files[0].startswith("crash-"),
              "%s: one crash-* file in ACCORD_FUZZ_CRASH_DIR (%s)" % (how, files))
        if not files:
            continue
        path = os.path.join(crashes, files[0])
        with open(path, "rb") as f:
            data = f.read()
        check(data[:1] == b"\xff", "%s: the saved input is one that crashes (starts 0xff)" % how)
        check(m is not None and m.group(1) == path, "%s: the message names that file" % how)
        check("tests/fuzz/corpus/" in r.stderr, "%s: the message says where it goes once fixed"
              % how)
        os.rename(path, os.path.join(tmp, "again"))
        r = subprocess.run([BIN, os.path.join(tmp, "again")], capture_output=True, env=env,
                           timeout=60)
        check(r.returncode != 0, "%s: replaying the saved file alone crashes again" % how)
    r = subprocess.run([BIN, corpus], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, ACCORD_FUZZ_RUNS="lots"))
    check(r.returncode == 2 and "ACCORD_FUZZ_RUNS" in r.stderr,
          "a bad ACCORD_FUZZ_RUNS is refused naming the variable")
    r = subprocess.run([BIN, corpus], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, ACCORD_FUZZ_RUNS="0"))
    check(r.returncode == 0 and "0 mutated inputs" in r.stdout,
          "ACCORD_FUZZ_RUNS=0 replays the corpus only")
sys.exit(1 if failed else 0)
