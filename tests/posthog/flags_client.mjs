// posthog-node's flag calls, unmodified, against the mock: the same questions asked in remote
// evaluation (POST /flags) and in local evaluation (definitions polled with the personal key,
// onlyEvaluateLocally), printed as one JSON object for the Rust test to compare.
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(path.join(process.env.NODE_PATH, 'noop.js'))
const { PostHog } = require('posthog-node')

const host = process.env.POSTHOG_HOST
const token = process.env.POSTHOG_PROJECT_TOKEN
const count = Number(process.env.FLAG_IDS)

async function answers(client, local) {
  const options = local ? { onlyEvaluateLocally: true } : {}
  const rollout = {}
  for (let n = 0; n < count; n++) {
    const distinctId = `distinct_id_${n}`
    rollout[distinctId] = {}
    for (const key of ['simple-flag', 'multivariate-flag']) {
      const value = await client.getFeatureFlag(key, distinctId, { ...options, sendFeatureFlagEvents: false })
      rollout[distinctId][key] = value ?? null
    }
  }
  const pro = { personProperties: { plan: 'pro' }, ...options }
  return {
    rollout,
    pro: (await client.getFeatureFlag('pro-only', 'someone', pro)) ?? null,
    free: (await client.getFeatureFlag('pro-only', 'someone', { personProperties: { plan: 'free' }, ...options })) ?? null,
    payload: (await client.getFeatureFlagPayload('pro-only', 'someone', undefined, pro)) ?? null,
    all: await client.getAllFlags('distinct_id_0', pro),
    inactive: Boolean(await client.getFeatureFlag('retired', 'someone', options)),
    dependent: (await client.getFeatureFlag('pro-beta', 'someone', pro)) ?? null,
    dependentFree:
      (await client.getFeatureFlag('pro-beta', 'someone', { personProperties: { plan: 'free' }, ...options })) ?? null,
    org:
      (await client.getFeatureFlag('org-dashboard', 'someone', {
        groups: { organization: '42' },
        groupProperties: { organization: { plan: 'enterprise' } },
        ...options,
      })) ?? null,
    cohort: (await client.getFeatureFlag('beta-cohort', 'member', { ...options, sendFeatureFlagEvents: false })) ?? null,
  }
}

const remote = new PostHog(token, { host, flushAt: 1 })
const local = new PostHog(token, { host, personalApiKey: process.env.POSTHOG_PERSONAL_KEY })
await local.waitForLocalEvaluationReady?.()
await local.reloadFeatureFlags()
const result = { remote: await answers(remote, false), local: await answers(local, true) }
// A static cohort is absent from the definitions: local evaluation falls back to /flags.
result.cohortFallback = {}
for (const distinctId of ['member', 'outsider']) {
  result.cohortFallback[distinctId] =
    (await local.getFeatureFlag('beta-cohort', distinctId, { sendFeatureFlagEvents: false })) ?? null
}
await remote.isFeatureEnabled('simple-flag', 'caller')
await remote.shutdown()
await local.shutdown()
console.log(JSON.stringify(result))
