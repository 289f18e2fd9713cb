"""Opens `flowcps serve` in headless Chromium (Debian's package, driven by Playwright) during a live run.

For each page (runs, the run, queue and workers) it waits for the page's data, saves a full-page screenshot and
collects console errors, uncaught exceptions, failed requests and HTTP errors. On the run page it then checks that
the training-reward curve gains a point while the page stays loaded (no reload: a marker set in the page survives).
Writes summary.json beside the screenshots and exits 1 when any check fails.

    python ops/python/dashboard_browser.py --url http://127.0.0.1:8765 --run demo --out results/dashboard
"""
import argparse
import json
import os
import sys
import time
import urllib.parse

from playwright.sync_api import sync_playwright


def wait_until(condition, seconds: float) -> None:
    """Polls `condition` from Python once a second (the page's CSP forbids evaluating strings in it)."""
    deadline = time.time() + seconds
    while not condition():
        if time.time() > deadline:
            raise TimeoutError(f"not within {seconds} s")
        time.sleep(1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="the dashboard's address")
    ap.add_argument("--run", required=True, help="a run that is making progress")
    ap.add_argument("--out", required=True, help="folder for screenshots and summary.json")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--wait", type=float, default=600, help="longest wait for the curve to gain a point, in seconds")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    base = args.url.rstrip("/")
    run_path = "/runs/" + urllib.parse.quote(args.run, safe="")
    summary = {"pages": {}, "curve": None, "ok": True}

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        problems = []
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

        for name, path in [("runs", "/"), ("run", run_path), ("queue", "/queue")]:
            del problems[:]
            page.goto(base + path, wait_until="load")
            # The script replaced the placeholder and the status line says it updated.
            wait_until(lambda: (page.text_content("#status") or "").startswith("updated"), 30)
            page.wait_for_timeout(1500)  # images of the run page
            shot = os.path.join(args.out, f"{name}.png")
            page.screenshot(path=shot, full_page=True)
            summary["pages"][name] = {"path": path, "screenshot": shot, "problems": list(problems),
                                      "title": page.title(), "heading": page.inner_text("h1")}
            if problems:
                summary["ok"] = False

        # The curve gains a point without a reload.
        del problems[:]
        page.goto(base + run_path, wait_until="load")
        selector = "svg[data-title^='training reward']"
        page.wait_for_selector(selector, timeout=30_000)
        page.evaluate("window.__flowcpsMarker = 'no reload'")
        before = int(page.get_attribute(selector, "data-points"))
        start = time.time()
        wait_until(lambda: int(page.get_attribute(selector, "data-points")) > before, args.wait)
        after = int(page.get_attribute(selector, "data-points"))
        marker = page.evaluate("window.__flowcpsMarker")
        shot = os.path.join(args.out, "run-after-new-point.png")
        page.screenshot(path=shot, full_page=True)
        summary["curve"] = {"points_before": before, "points_after": after, "seconds": round(time.time() - start, 1),
                            "same_document": marker == "no reload", "problems": list(problems), "screenshot": shot}
        if not (after > before and marker == "no reload") or problems:
            summary["ok"] = False
        browser.close()

    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2, ensure_ascii=False)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
