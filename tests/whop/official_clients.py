"""Whop's official Python SDK, unmodified, against the mock: whop-sdk 2.6.0 (Fern, Era C) or
0.0.41 (Stainless, early Era B), chosen by the installed package's version."""

import os
import sys

import whop_sdk

BASE = os.environ["WHOP_BASE_URL"]
KEY = os.environ["WHOP_API_KEY"]
PEOPLE = int(os.environ["WHOP_PEOPLE"])
EMAIL = os.environ["WHOP_EMAIL"]


def check(condition, message):
    if not condition:
        print("FAILED:", message)
        sys.exit(1)


def fern():
    from whop_sdk import Whop
    from whop_sdk.core.api_error import ApiError
    from whop_sdk.environment import WhopEnvironment

    client = Whop(token=KEY, environment=WhopEnvironment(api=BASE, vault=BASE), max_retries=0)
    people = list(client.people.list(first=25))
    ids = [person.id for person in people]
    check(len(ids) == PEOPLE and len(set(ids)) == PEOPLE, f"auto-pagination: {len(ids)} of {PEOPLE}")
    buyers = list(client.people.list(has_purchased=True, order="ltv", direction="desc", ltv_gte=10))
    check(buyers and all(p.purchase_count > 0 and p.ltv >= 10 for p in buyers), "filters")
    check([p.ltv for p in buyers] == sorted((p.ltv for p in buyers), reverse=True), "order by ltv")
    person = client.people.retrieve(ids[0])
    check(person.id == ids[0] and person.event_count >= 1, "retrieve by id")
    by_email = client.people.retrieve(EMAIL)
    check(by_email.email == EMAIL and by_email.purchases, "retrieve by e-mail")
    created = client.events.create(account_id=os.environ["WHOP_ACCOUNT"], event_name="lead",
                                   user={"email": EMAIL})
    check(created.id.startswith("evnt_"), "events create")
    events = list(client.events.list(identifier=EMAIL, first=2))
    check(len(events) == by_email.event_count + 1, f"events list: {len(events)}")
    check(any(event.id == created.id for event in events), "the created event is listed")
    try:
        client.people.retrieve("nobody@example.com")
        check(False, "a 404 raises")
    except ApiError as error:
        check(error.status_code == 404, f"404, got {error.status_code}")


def stainless():
    from whop_sdk import NotFoundError, Whop

    client = Whop(api_key=KEY, base_url=BASE, max_retries=0)
    ids = [person.id for person in client.people.list(first=25)]
    check(len(ids) == PEOPLE and len(set(ids)) == PEOPLE, f"auto-pagination: {len(ids)} of {PEOPLE}")
    filters = '[{"field":"purchase_count","operator":"gte","value":1}]'
    buyers = list(client.people.list(filters=filters, sort="ltv"))
    check(buyers and all(p.purchase_count >= 1 for p in buyers), "filters")
    check(client.people.retrieve(ids[0]).data.id == ids[0], "retrieve by id")
    person = client.people.retrieve(EMAIL).data
    check(person.email == EMAIL and isinstance(person.first_seen_at, int), "retrieve by e-mail")
    created = client.events.create(account_id=os.environ["WHOP_ACCOUNT"], event_name="lead",
                                   user={"email": EMAIL})
    events = list(client.events.list(person_id=EMAIL, first=2))
    check(any(event.id == created.id for event in events), "events list")
    try:
        client.people.retrieve("nobody@example.com")
        check(False, "a 404 raises")
    except NotFoundError:
        pass


if whop_sdk.__version__.startswith("2."):
    fern()
else:
    stainless()
print("ok")
