#!/usr/bin/env python3
"""check_arrows.py - keeps the dependency arrows of docs/architecture.md.

Three checks, each printing the offending file and line:
  includes  every #include in core/, net/, node/, tools/ points only where the
            including folder may reach (and system headers of sockets, the
            event loop, TLS and SQLite stay in the folders that own them);
  links     every library and program in the CMake files links only what its
            folder may reach;
  cycles    (with --build DIR) no two object files of one library call each
            other, directly or round a longer circle (from `nm` of the archives).

Usage: check_arrows.py [--build BUILD_DIR] [SOURCE_ROOT]
Exit status 0 when every arrow is allowed, 1 otherwise."""
import os
import re
import subprocess
import sys

CORE = ["base", "sign", "records", "review", "stats", "render", "store", "trust"]
ALL_CORE = {"core/" + c for c in CORE}

# Who may reach whom (besides itself).
ALLOWED = {
    "core/base": set(),
    "core/sign": {"core/base"},
    "core/records": {"core/sign", "core/base"},
    "core/review": {"core/base"},
    "core/stats": {"core/base"},
    "core/render": {"core/base"},
    "core/store": {"core/review", "core/base"},
    "core/trust": {"core/records", "core/sign", "core/base"},
    "net": {"core/base"},
    "node": {"net"} | ALL_CORE,
    "tools": {"net"} | ALL_CORE,
    # accord-verify must stay small enough for a recognizer to audit alone.
    "tools/verify": {"net", "core/trust", "core/records", "core/sign", "core/base"},
}

# System headers that mark a layer: the event loop, sockets and TLS belong to
# net/ (and the node and tools that drive it); SQLite to core/store.
SYSTEM = [
    (re.compile(r"^(uv\.h|nghttp2/|openssl/|sys/socket\.h|netinet/|arpa/inet\.h)"),
     {"net", "node", "tools", "tools/verify"}),
    (re.compile(r"^sqlite3\.h$"), {"core/store"}),
    (re.compile(r"^(libpq-fe\.h|postgresql/)"), {"core/store"}),
]

LIB_COMPONENT = {"accord_" + c: "core/" + c for c in CORE}
LIB_COMPONENT.update({"accord_net": "net", "accord_nodelib": "node"})


def component_of_path(rel):
    parts = rel.split("/")
    if parts[0] == "core" and len(parts) > 2:
        return "core/" + parts[1]
    if parts[0] == "tools" and len(parts) > 2 and parts[1] == "verify":
        return "tools/verify"
    if parts[0] in ("net", "node", "tools"):
        return parts[0]
    return None


def component_of_header(inc):
    m = re.match(r"accord/([a-z_]+)/", inc)
    if not m:
        return None
    folder = m.group(1)
    if folder in CORE:
        return "core/" + folder
    if folder == "net":
        return "net"
    return "unknown:" + folder


def may_reach(src, dst):
    return dst == src or dst in ALLOWED.get(src, set())


def check_includes(root):
    bad = []
    for top in ("core", "net", "node", "tools"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if not f.endswith((".c", ".h", ".def")):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, root)
                src = component_of_path(rel)
                if src is None:
                    continue
                with open(path, encoding="utf-8", errors="replace") as fh:
                    for lineno, line in enumerate(fh, 1):
                        m = re.match(r'\s*#\s*include\s*([<"])([^>"]+)[>"]', line)
                        if not m:
                            continue
                        inc = m.group(2)
                        if m.group(1) == "<":
                            for pat, owners in SYSTEM:
                                if pat.search(inc) and src not in owners:
                                    bad.append(f"{rel}:{lineno}: {src} includes <{inc}>, "
                                               f"which only {', '.join(sorted(owners))} may use")
                            continue
                        if inc.startswith("accord/"):
                            dst = component_of_header(inc)
                        else:
                            target = os.path.normpath(os.path.join(dirpath, inc))
                            if not os.path.exists(target):
                                continue  # found through the folder's own include path
                            dst = component_of_path(os.path.relpath(target, root))
                        if dst and not may_reach(src, dst):
                            bad.append(f"{rel}:{lineno}: {src} may not include {inc} ({dst})")
    return bad


def cmake_calls(text, name):
    for m in re.finditer(r"\b" + name + r"\s*\(([^)]*)\)", text):
        yield text.count("\n", 0, m.start()) + 1, m.group(1).split()


def check_links(root):
    bad = []
    for top in ("core", "net", "node", "tools"):
        path = os.path.join(root, top, "CMakeLists.txt")
        if not os.path.exists(path):
            continue
        text = open(path, encoding="utf-8").read()
        text = re.sub(r"#[^\n]*", "", text)
        rel = os.path.relpath(path, root)
        edges = []
        for lineno, args in cmake_calls(text, "ac_core_library"):
            src = "core/" + args[0]
            deps = args[args.index("DEPS") + 1:] if "DEPS" in args else []
            edges.append((lineno, src, deps))
        for lineno, args in cmake_calls(text, "target_link_libraries"):
            target = args[0]
            if target in LIB_COMPONENT:
                src = LIB_COMPONENT[target]
            elif target == "accord-verify":
                src = "tools/verify"
            elif target == "accord_core":
                src = "node"  # the whole of core, for the node and tests
                continue
            elif top == "tools":
                src = "tools"
            elif top == "node":
                src = "node"
            else:
                continue
            edges.append((lineno, src, args[1:]))
        for lineno, src, deps in edges:
            for d in deps:
                if d == "accord_core":
                    dsts = ALL_CORE
                elif d in LIB_COMPONENT:
                    dsts = {LIB_COMPONENT[d]}
                else:
                    continue  # system libraries, keywords
                for dst in dsts:
                    if not may_reach(src, dst):
                        bad.append(f"{rel}:{lineno}: {src} may not link {d} ({dst})")
    return bad


def check_cycles(build):
    """Object files of one archive calling each other round a circle."""
    bad = []
    archives = []
    for dirpath, _, files in os.walk(build):
        for f in files:
            # net/ is one connection machine split over files; the rule is
            # for the layers above it.
            if re.match(r"libaccord_[a-z]+\.a$", f) and f != "libaccord_net.a":
                archives.append(os.path.join(dirpath, f))
    for ar in sorted(archives):
        out = subprocess.run(["nm", "-A", "--defined-only", ar], capture_output=True, text=True)
        und = subprocess.run(["nm", "-A", "--undefined-only", ar], capture_output=True,
                             text=True)
        defined = {}
        for line in out.stdout.splitlines():
            m = re.match(r"[^:]+:([^:]+):\s*[0-9a-f]*\s+([TDRB])\s+(\S+)$", line)
            if m:
                defined[m.group(3)] = m.group(1)
        graph = {}
        for line in und.stdout.splitlines():
            m = re.match(r"[^:]+:([^:]+):\s+U\s+(\S+)$", line)
            if m and m.group(2) in defined and defined[m.group(2)] != m.group(1):
                graph.setdefault(m.group(1), set()).add(defined[m.group(2)])
        for scc in strongly_connected(graph):
            if len(scc) > 1:
                names = sorted(o.replace(".c.o", ".c") for o in scc)
                bad.append(f"{os.path.basename(ar)}: files calling each other in a circle: "
                           + " <-> ".join(names))
    return bad


def strongly_connected(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    nodes = set(graph) | {d for ds in graph.values() for d in ds}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main(argv):
    build = None
    args = list(argv)
    if "--build" in args:
        i = args.index("--build")
        build = args[i + 1]
        del args[i:i + 2]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    bad = check_includes(root) + check_links(root)
    if build:
        bad += check_cycles(build)
    for b in bad:
        print(b)
    print(f"arrows: {len(bad)} not allowed" if bad else "arrows: every include and link allowed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
