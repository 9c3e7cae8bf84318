// posthog-node, unmodified, with a flag that has experience continuity: server SDKs pass the
// anonymous id as personProperties.$anon_distinct_id; remote evaluation answers (and stores)
// the anonymous id's variant for the identified id, and local evaluation cannot evaluate the
// flag, so it asks /flags (or answers undefined with onlyEvaluateLocally).
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(path.join(process.env.NODE_PATH, 'noop.js'))
const { PostHog } = require('posthog-node')

const host = process.env.POSTHOG_HOST
const token = process.env.POSTHOG_PROJECT_TOKEN
const flag = 'multivariate-flag'

async function variant(client, distinctId, anonDistinctId, extra = {}) {
  const personProperties = anonDistinctId ? { $anon_distinct_id: anonDistinctId } : {}
  const value = await client.getFeatureFlag(flag, distinctId, {
    personProperties,
    sendFeatureFlagEvents: false,
    ...extra,
  })
  return value ?? null
}

const remote = new PostHog(token, { host, flushAt: 1 })
const local = new PostHog(token, { host, personalApiKey: process.env.POSTHOG_PERSONAL_KEY })
await local.waitForLocalEvaluationReady?.()
await local.reloadFeatureFlags()
const result = {
  remote: {
    identified: await variant(remote, 'other_id', 'example_id'),
    later: await variant(remote, 'other_id'),
  },
  local: {
    only_locally: await variant(local, 'user-js-2', 'anon-js-1', { onlyEvaluateLocally: true }),
    fallback: await variant(local, 'user-js-2', 'anon-js-1'),
    later: await variant(local, 'user-js-2'),
  },
}
await remote.shutdown()
await local.shutdown()
console.log(JSON.stringify(result))
