// Whop's official npm SDK (@whop/sdk 0.0.42, late Era B), unmodified, against the mock.
const Whop = require('@whop/sdk').default;

function check(condition, message) {
  if (!condition) {
    console.error('FAILED:', message);
    process.exit(1);
  }
}

(async () => {
  const client = new Whop({ apiKey: process.env.WHOP_API_KEY, baseURL: process.env.WHOP_BASE_URL, maxRetries: 0 });
  const people = Number(process.env.WHOP_PEOPLE);
  const email = process.env.WHOP_EMAIL;
  const ids = [];
  for await (const person of client.people.list({ first: 25 })) ids.push(person.id);
  check(ids.length === people && new Set(ids).size === people, `auto-pagination: ${ids.length} of ${people}`);
  const filters = JSON.stringify([{ field: 'purchase_count', operator: 'gte', value: 1 }]);
  const buyers = [];
  for await (const person of client.people.list({ filters, sort: 'ltv', from: '2020-01-01T00:00:00Z' })) buyers.push(person);
  check(buyers.length > 0 && buyers.every((p) => p.purchase_count >= 1), 'filters with ISO from');
  check(typeof buyers[0].first_seen_at === 'string', 'ISO times');
  const one = await client.people.retrieve(ids[0]);
  check(one.data.id === ids[0], 'retrieve by id');
  const byEmail = await client.people.retrieve(email);
  check(byEmail.data.email === email, 'retrieve by e-mail');
  const created = await client.events.create({ account_id: process.env.WHOP_ACCOUNT, event_name: 'lead', user: { email } });
  const events = [];
  for await (const event of client.events.list({ identifier: email, first: 2 })) events.push(event);
  check(events.some((event) => event.id === created.id), 'events create and list');
  try {
    await client.people.retrieve('nobody@example.com');
    check(false, 'a 404 throws');
  } catch (error) {
    check(error.status === 404, `404, got ${error.status}`);
  }
  console.log('ok');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
