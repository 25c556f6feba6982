"""A sampled page view reports its Core Web Vitals and API timings from the real browser, and
they reach /metrics labelled by route pattern."""

import json

import httpx
from playwright.sync_api import Page, Route

from tests.e2e.conftest import sign_in
from tests.observability.support import parse, value

RESIDENT = "resident@maple-grove.example"
# Sampled (Math.random), and each beacon's body kept for the test to read.
SAMPLED_AND_RECORDED = """
Math.random = () => 0
window.beacons = []
const send = navigator.sendBeacon.bind(navigator)
navigator.sendBeacon = (url, body) => {
  body.text().then((text) => window.beacons.push(text))
  return send(url, body)
}
"""
# The vitals code is loaded lazily (sampled views only); once it is there, an idle moment lets
# its observers take the buffered paint entries.
VITALS_LOADED = """() => performance.getEntriesByType('resource')
  .some((e) => e.name.includes('web-vitals'))"""
IDLE = "() => new Promise((resolve) => requestIdleCallback(() => resolve(true)))"
HIDE = """() => {
  Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true })
  document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
}"""


def test_a_sampled_page_view_reports_its_timings(page: Page, live_server: str) -> None:
    page.add_init_script(SAMPLED_AND_RECORDED)
    before = parse(httpx.get(f"{live_server}/metrics").text)
    base = sign_in(page, RESIDENT)
    # The vitals code arrives only after the first input, as on a slow connection: the largest
    # paint is over by then and must still be reported.
    held: list[Route] = []
    page.route("**/web-vitals-*.js", lambda route: held.append(route))
    page.goto(f"{base}/reservations")
    page.get_by_role("heading", level=1).first.click()  # an input ends the LCP measurement
    while not held:
        page.wait_for_timeout(50)
    held[0].continue_()
    page.wait_for_function(VITALS_LOADED)
    page.evaluate(IDLE)
    with page.expect_request("**/api/v1/rum") as sent:
        page.evaluate(HIDE)
    page.wait_for_function("window.beacons.length > 0")
    report = json.loads(page.evaluate("window.beacons[0]"))
    assert report["route"] == "/c/:communityId/reservations"
    assert report["lcp_ms"] > 0
    routes = {timing["route"] for timing in report["api"]}
    assert "/api/v1/me" in routes and all("{" in r or r.count("/") <= 3 for r in routes)
    assert RESIDENT not in json.dumps(report) and base not in json.dumps(report)
    response = sent.value.response()
    assert response is not None and response.status == 204
    after = parse(httpx.get(f"{live_server}/metrics").text)
    labels = {"route": "/c/:communityId/reservations"}
    assert value(after, "hoa_rum_lcp_seconds_count", **labels) == (
        value(before, "hoa_rum_lcp_seconds_count", **labels) + 1
    )
    assert value(after, "hoa_rum_api_seconds_count", route="/api/v1/me") > value(
        before, "hoa_rum_api_seconds_count", route="/api/v1/me"
    )
