"""Drives the official posthog-python client against the mock (see python_client.rs)."""

import os

from posthog import Posthog

host = os.environ["POSTHOG_HOST"]
token = os.environ["POSTHOG_PROJECT_TOKEN"]

client = Posthog(token, host=host, sync_mode=True)
client.capture("signed_up", distinct_id="ann", properties={"$set": {"plan": "pro"}})
client.set(distinct_id="ann", properties={"email": "ann@example.com"})
client.set_once(distinct_id="ann", properties={"first_seen_plan": "free"})
client.set_once(distinct_id="ann", properties={"first_seen_plan": "paid"})
client.alias(previous_id="ann", distinct_id="ann-crm")
client.shutdown()

batched = Posthog(token, host=host, gzip=True, flush_at=10)
batched.capture("$pageview", distinct_id="zed", properties={"$set": {"plan": "team"}})
batched.flush()
batched.shutdown()
print("ok")
