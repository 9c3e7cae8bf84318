"""posthog-python, unmodified, with a flag that has experience continuity: server SDKs pass
the anonymous id as person_properties["$anon_distinct_id"]; remote evaluation answers (and
stores) the anonymous id's variant for the identified id, and local evaluation cannot
evaluate the flag, so it asks /flags (or answers None with only_evaluate_locally)."""

import json
import os

from posthog import Posthog

HOST = os.environ["POSTHOG_HOST"]
TOKEN = os.environ["POSTHOG_PROJECT_TOKEN"]
KEY = os.environ["POSTHOG_PERSONAL_KEY"]
FLAG = "multivariate-flag"


def variant(client, distinct_id, anon_distinct_id=None, **extra):
    properties = {"$anon_distinct_id": anon_distinct_id} if anon_distinct_id else {}
    return client.get_feature_flag(
        FLAG,
        distinct_id,
        person_properties=properties,
        send_feature_flag_events=False,
        **extra,
    )


remote = Posthog(TOKEN, host=HOST)
local = Posthog(TOKEN, host=HOST, personal_api_key=KEY)
local.load_feature_flags()
result = {
    "remote": {
        "identified": variant(remote, "other_id", "example_id"),
        "later": variant(remote, "other_id"),
    },
    "local": {
        "only_locally": variant(local, "user-js-2", "anon-js-1", only_evaluate_locally=True),
        "fallback": variant(local, "user-js-2", "anon-js-1"),
        "later": variant(local, "user-js-2"),
    },
}
remote.shutdown()
local.shutdown()
print(json.dumps(result))
