"""The language switcher sends its form as soon as a language is chosen, by the script file
that replaced its inline ``onchange`` (which the Content-Security-Policy refuses); the page
fixture fails the test on any policy violation on the way."""

import pytest

pytestmark = pytest.mark.e2e


def test_choosing_a_language_switches_the_page_at_once(
    page, live_server, _append_only_history_emptied_before_flush
):
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    with page.expect_navigation():
        page.select_option("#language", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url == f"{live_server.url}/accounts/login/"
    assert page.locator("#language").input_value() == "en"
