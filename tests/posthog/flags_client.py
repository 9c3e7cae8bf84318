"""posthog-python's flag calls, unmodified, against the mock: the same questions asked in
remote evaluation (POST /flags) and in local evaluation (definitions from /flags/definitions,
only_evaluate_locally), printed as one JSON object for the Rust test to compare."""

import json
import os

from posthog import Posthog

HOST = os.environ["POSTHOG_HOST"]
TOKEN = os.environ["POSTHOG_PROJECT_TOKEN"]
KEY = os.environ["POSTHOG_PERSONAL_KEY"]
COUNT = int(os.environ["FLAG_IDS"])


def answers(client, local):
    extra = {"only_evaluate_locally": True} if local else {}
    rollout = {}
    for n in range(COUNT):
        distinct_id = f"distinct_id_{n}"
        rollout[distinct_id] = {
            key: client.get_feature_flag(
                key, distinct_id, send_feature_flag_events=False, **extra
            )
            for key in ("simple-flag", "multivariate-flag")
        }
    pro = {"plan": "pro"}
    return {
        "rollout": rollout,
        "pro": client.get_feature_flag("pro-only", "someone", person_properties=pro, **extra),
        "free": client.get_feature_flag(
            "pro-only", "someone", person_properties={"plan": "free"}, **extra
        ),
        "payload": client.get_feature_flag_payload(
            "pro-only", "someone", person_properties=pro, **extra
        ),
        "all": client.get_all_flags("distinct_id_0", person_properties=pro, **extra),
        "inactive": bool(client.get_feature_flag("retired", "someone", **extra)),
        "dependent": client.get_feature_flag("pro-beta", "someone", person_properties=pro, **extra),
        "dependentFree": client.get_feature_flag(
            "pro-beta", "someone", person_properties={"plan": "free"}, **extra
        ),
        "org": client.get_feature_flag(
            "org-dashboard",
            "someone",
            groups={"organization": "42"},
            group_properties={"organization": {"plan": "enterprise"}},
            **extra,
        ),
        "cohort": client.get_feature_flag(
            "beta-cohort", "member", send_feature_flag_events=False, **extra
        ),
    }


remote = Posthog(TOKEN, host=HOST)
local = Posthog(TOKEN, host=HOST, personal_api_key=KEY)
local.load_feature_flags()
result = {"remote": answers(remote, False), "local": answers(local, True)}
# A static cohort is absent from the definitions: local evaluation falls back to /flags.
result["cohortFallback"] = {
    distinct_id: local.get_feature_flag(
        "beta-cohort", distinct_id, send_feature_flag_events=False
    )
    for distinct_id in ("member", "outsider")
}
# Sends $feature_flag_called for `caller` through capture (/batch/).
remote.feature_enabled("simple-flag", "caller")
remote.shutdown()
local.shutdown()
print(json.dumps(result))
