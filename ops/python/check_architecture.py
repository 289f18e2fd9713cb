"""docs/architecture.md's module table against Package.swift and the import lines of Sources/.

Usage: check_architecture.py PACKAGE_JSON ARCHITECTURE_MD SOURCES_DIR
"""
import json
import os
import re
import sys


def declared(package_json):
    """Target name -> set of its dependency names (targets and products)."""
    out = {}
    for t in json.load(open(package_json))["targets"]:
        if t["type"] == "test" or (t.get("path") or "").startswith("Tests"):
            continue
        deps = set()
        for d in t.get("dependencies", []):
            for kind in ("byName", "target", "product"):
                if kind in d:
                    deps.add(d[kind][0])
        out[t["name"]] = deps
    return out


def documented(markdown):
    """Module -> set of modules its row says it may import (section 1's table)."""
    out = {}
    text = open(markdown, encoding="utf-8").read()
    section = text.split("## 1. Modules", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        m = re.match(r"^\| `([\w-]+)` \|\s*([^|]*?)\s*\|", line)
        if m:
            out[m.group(1)] = set(re.findall(r"`([\w-]+)`", m.group(2)))
    return out


def imports(sources, module):
    folder = os.path.join(sources, module)
    found = {}
    for root, _, files in os.walk(folder):
        for f in files:
            if f.endswith(".swift"):
                path = os.path.join(root, f)
                for line in open(path, encoding="utf-8"):
                    m = re.match(r"^(?:@testable )?import (\w+)", line)
                    if m:
                        found.setdefault(m.group(1), path)
    return found


def main():
    package_json, markdown, sources = sys.argv[1:4]
    code, doc = declared(package_json), documented(markdown)
    problems = []
    for name in sorted(set(code) | set(doc)):
        if name not in doc:
            problems.append(f"{name}: a target in Package.swift with no row in {markdown}")
        elif name not in code:
            problems.append(f"{name}: a row in {markdown} but no such target")
        elif code[name] != doc[name]:
            problems.append(f"{name}: Package.swift depends on {sorted(code[name])}, {markdown} says {sorted(doc[name])}")
    system = {"Foundation", "Dispatch", "Glibc", "Synchronization", "Testing", "XCTest"}
    products = {"RealModule": "RealModule", "Yams": "Yams", "Logging": "Logging", "ArgumentParser": "ArgumentParser"}
    for name, deps in code.items():
        if not os.path.isdir(os.path.join(sources, name)):
            continue
        for imported, path in imports(sources, name).items():
            if imported in system or imported == name:
                continue
            if products.get(imported, imported) not in deps:
                problems.append(f"{path}: imports {imported}, which target {name} does not depend on")
    c_users = {}
    for name, deps in code.items():
        for d in deps:
            if d.startswith("C") and d in code and not code[d]:
                c_users.setdefault(d, []).append(name)
    for lib, users in c_users.items():
        if len(users) != 1:
            problems.append(f"{lib} is imported by {sorted(users)}: each C library belongs to exactly one module")
    for p in problems:
        print(p)
    print(f"architecture: {len(code)} targets, {len(problems)} mismatches")
    sys.exit(1 if problems else 0)


main()
