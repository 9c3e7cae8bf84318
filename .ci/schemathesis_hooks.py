"""Schemathesis hooks of `.ci/schemathesis`: checks that replace two built-in ones.

`not_a_server_error` is off for the three PostHog operations that answer a 500 on purpose
(see `.ci/schemathesis.toml`); the first check holds them to exactly the cases
docs/posthog.md lists, and fails on any other 5xx of those operations.

`ensure_resource_availability` is off for Pipedrive: it fails any 404 that follows a create,
but a request on a person just created may be refused for what else it names (the body's
`merge_with_id`, a new follower's `user_id`, a follower). The second check holds every Pipedrive
404 to what its error names: "Person not found" only when the person (or, for a merge, one of
the two) is missing or deleted, "Follower not found" only when the person has no such
follower.
"""

import re
from urllib.parse import quote

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


def pipedrive_get(request, path):
    """`GET` of `path` (below `/persons/`) on the Pipedrive API `request` went to."""
    base = request.url.split("?")[0].split("/persons/", 1)[0]
    headers = {"x-api-token": request.headers.get("x-api-token", "")}
    return requests.get(f"{base}/persons/{path}", headers=headers, timeout=10)


def active_person(request, person):
    """Whether Pipedrive shows `person` (an id as the URL spells it) as a person not deleted."""
    answer = pipedrive_get(request, person)
    if answer.status_code != 200:
        return False
    data = answer.json()["data"]
    return data.get("active_flag", True) and not data.get("is_deleted", False)


def has_follower(request, person, follower):
    """Whether `person` has `follower`: a v1 relation id or a v2 user id, as the URL spells it."""
    key = "user_id" if "/api/v2/" in request.url else "id"
    answer = pipedrive_get(request, f"{person}/followers")
    if answer.status_code != 200:
        return False
    return any(quote(str(each[key]), safe="") == follower for each in answer.json()["data"] or [])


@schemathesis.check
def a_pipedrive_404_names_what_is_missing(ctx, response, case):
    """A Pipedrive 404 about a person or a follower is a failure if that one is there."""
    request = response.request
    if response.status_code != 404 or "/pipedrive/" not in request.url:
        return None
    if not case.operation.path.startswith("/persons/{id}"):
        return None
    # The person's and the follower's ids as the request's URL spells them.
    segments = request.url.split("?")[0].split("/persons/", 1)[1].split("/")
    person = segments[0]
    error = response.json().get("error")
    if error == "Person not found":
        persons = [person]
        if case.operation.definition.raw.get("operationId") == "mergePersons":
            body = case.body if isinstance(case.body, dict) else {}
            persons.append(quote(str(body.get("merge_with_id")), safe=""))
        if all(active_person(request, each) for each in persons):
            raise AssertionError(f"answered Person not found, but persons {persons} are there")
    elif error == "Follower not found" and len(segments) == 3:
        follower = segments[2]
        if has_follower(request, person, follower):
            raise AssertionError(f"answered Follower not found, but {follower} follows {person}")
    return None
