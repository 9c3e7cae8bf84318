"""Schemathesis hooks of `.ci/schemathesis`: the only 5xx the mock may answer.

`not_a_server_error` is off for the three PostHog operations that answer a 500 on purpose
(see `.ci/schemathesis.toml`); this check holds them to exactly the cases docs/posthog.md
lists, and fails on any other 5xx of those operations.
"""

import re

import requests
import schemathesis

# What Python's `int()` takes, as the mock reads activity's `page` and `limit`.
PYTHON_INT = re.compile(r"\s*[+-]?[0-9]+\s*")


def last(value):
    """The value a repeated query parameter ends with, as the mock reads it."""
    return value[-1] if isinstance(value, list) else value


def not_an_int(query, name):
    value = last(query.get(name))
    return value is not None and not PYTHON_INT.fullmatch(str(value))


def person_missing(response):
    """Whether the person of a `…/persons/{id}/delete_property/` request is not there."""
    request = response.request
    person = request.url.split("?")[0].rsplit("delete_property/", 1)[0]
    headers = {"Authorization": request.headers.get("Authorization", "")}
    return requests.get(person, headers=headers, timeout=10).status_code == 404


def expected_server_error(case, response):
    """Whether PostHog answers this request with its 500 (docs/posthog.md)."""
    operation = case.operation.definition.raw.get("operationId", "")
    query = case.query or {}
    if operation.endswith("activity_retrieve"):
        return not_an_int(query, "page") or not_an_int(query, "limit")
    if operation.endswith("persons_cohorts_retrieve"):
        return "person_id" not in query
    if operation.endswith("persons_delete_property_create"):
        body = case.body if isinstance(case.body, dict) else {}
        return "$unset" not in body or person_missing(response)
    return False


@schemathesis.check
def only_the_posthog_server_errors_reproduced_on_purpose(ctx, response, case):
    """A 5xx is a failure unless it is one of PostHog's own 500s the mock reproduces."""
    if response.status_code < 500:
        return None
    if response.status_code == 500 and expected_server_error(case, response):
        return None
    raise AssertionError(
        f"{case.operation.label} answered {response.status_code}, "
        "which is not one of the PostHog 500s the mock reproduces on purpose"
    )
