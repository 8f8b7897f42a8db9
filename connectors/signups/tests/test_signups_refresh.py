"""Both connectors inside a real refresh: registration, settings errors, sums and secrets."""

# the API keys here are made up for the tests

import datetime as dt
import json
import subprocess
import sys

import okrkit
import responses
from okrkit.connectors import Registry
from responses import matchers

from okrkit_signups import KitConnector, MailchimpConnector

AT = dt.datetime(2026, 8, 15, 9, 30, tzinfo=dt.UTC)
MAILCHIMP_KEY = "0123456789abcdef0123456789abcdef-us21"
BAD_MAILCHIMP_KEY = "fedcba9876543210fedcba9876543210"  # no -usNN datacenter
KIT_KEY = "kit_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
ENVIRON = {
    "MAILCHIMP_API_KEY": MAILCHIMP_KEY,
    "OLD_MAILCHIMP_KEY": BAD_MAILCHIMP_KEY,
    "KIT_API_KEY": KIT_KEY,
}
PLAN = """
cycle: 2026-Q3
objectives:
  - id: launch
    title: Stir up a buzz around the launch
    key_results:
      - id: signups
        title: Pre-release sign-ups over 5k
        source:
          connector: sum
          sources:
            - {connector: mailchimp, api_key: "${MAILCHIMP_API_KEY}", list_id: a1b2c3d4e5}
            - {connector: kit, api_key: "${KIT_API_KEY}", form_id: 1357}
      - id: weekly-tagged
        title: Weekly pre-release tags over 300
        source: {connector: kit, api_key: "${KIT_API_KEY}", tag_id: 4242, window: 7d}
      - id: old-audience
        title: Old audience over 1k
        source: {connector: mailchimp, api_key: "${OLD_MAILCHIMP_KEY}", list_id: f0e1d2c3b4}
      - id: typo
        title: Kit sign-ups over 2k
        source: {connector: kit, api_key: "${KIT_API_KEY}", tagid: 4242}
"""


def plan():
    return okrkit.loads(PLAN, path="okrs.yaml")


def registry():
    return Registry(entry_points=None, extra=[MailchimpConnector, KitConnector])


def outcomes(result):
    return {outcome.key_result: outcome for outcome in result.outcomes}


def test_a_refresh_measures_sums_and_reports_bad_settings_without_any_secret():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            "https://us21.api.mailchimp.com/3.0/lists/a1b2c3d4e5",
            json={"id": "a1b2c3d4e5", "stats": {"member_count": 3100}},
        )
        mock.get(
            "https://api.kit.com/v4/forms/1357/subscribers",
            match=[matchers.header_matcher({"X-Kit-Api-Key": KIT_KEY})],
            json={"subscribers": [], "pagination": {"total_count": 1250}},
        )
        mock.get(
            "https://api.kit.com/v4/tags/4242/subscribers",
            match=[
                matchers.query_param_matcher(
                    {
                        "include_total_count": "true",
                        "per_page": "1",
                        "status": "active",
                        "created_after": "2026-08-08T09:30:00Z",
                        "created_before": "2026-08-15T09:30:00Z",
                    }
                )
            ],
            json={"subscribers": [], "pagination": {"total_count": 0}},
        )
        result = okrkit.refresh(plan(), None, registry=registry(), environ=ENVIRON, at=AT)
        assert len(mock.calls) == 3  # none for the key results with bad settings

    by_id = outcomes(result)
    assert by_id["signups"].status == "measured"
    assert by_id["signups"].value == 4350.0
    assert by_id["weekly-tagged"].status == "measured"
    assert by_id["weekly-tagged"].value == 0.0

    old = by_id["old-audience"]
    assert old.status == "invalid"
    assert old.connector == "mailchimp"
    assert old.error.startswith("setting 'api_key': this is not a whole Mailchimp API key")

    typo = by_id["typo"]
    assert typo.status == "invalid"
    assert "unknown setting tagid (did you mean 'tag_id'?)" in typo.error

    assert result.exit_code() == 2  # invalid settings
    shown = json.dumps(result.to_dict())
    for secret in (MAILCHIMP_KEY, BAD_MAILCHIMP_KEY, KIT_KEY):
        assert secret not in shown
    assert "0123456789abcdef" not in shown
    assert "fedcba9876543210" not in shown


def test_a_refused_key_fails_its_key_result_only_and_is_not_retried():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            "https://us21.api.mailchimp.com/3.0/lists/a1b2c3d4e5",
            status=401,
            json={"title": "API Key Invalid", "detail": f"Your API key {MAILCHIMP_KEY} is bad."},
        )
        mock.get(
            "https://api.kit.com/v4/forms/1357/subscribers",
            json={"subscribers": [], "pagination": {"total_count": 1250}},
        )
        mock.get(
            "https://api.kit.com/v4/tags/4242/subscribers",
            json={"subscribers": [], "pagination": {"total_count": 12}},
        )
        wanted = ["signups", "weekly-tagged"]
        result = okrkit.refresh(
            plan(), None, registry=registry(), environ=ENVIRON, at=AT, only=wanted
        )
        asked = [call.request.url.split("?")[0] for call in mock.calls]
        assert asked.count("https://us21.api.mailchimp.com/3.0/lists/a1b2c3d4e5") == 1  # no retry
        assert len(asked) == 3

    by_id = outcomes(result)
    assert by_id["signups"].status == "failed"
    assert "Mailchimp refused the API key, HTTP 401 (API Key Invalid" in by_id["signups"].error
    assert by_id["weekly-tagged"].value == 12.0
    assert MAILCHIMP_KEY not in json.dumps(result.to_dict())


def test_both_connectors_are_registered_under_their_names():
    installed = Registry(only=["mailchimp", "kit"])
    assert installed.get("mailchimp") is MailchimpConnector
    assert installed.get("kit") is KitConnector


def test_importing_the_connectors_does_not_import_requests():
    code = "import sys, okrkit_signups; print('requests' in sys.modules)"
    shown = subprocess.run(  # noqa: S603  # this interpreter, with code written here
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "False"
