// Drives the mock with Pipedrive's official npm client (v2 persons and deals APIs),
// configured only with basePath and apiKey. Exits non-zero on the first mismatch.
const assert = require("node:assert/strict");
const pipedrive = require("pipedrive");

async function main() {
  const config = new pipedrive.v2.Configuration({
    apiKey: process.env.PIPEDRIVE_API_TOKEN,
    basePath: process.env.PIPEDRIVE_V2_URL,
  });
  const persons = new pipedrive.v2.PersonsApi(config);
  const deals = new pipedrive.v2.DealsApi(config);

  const created = await persons.addPerson({
    AddPersonRequest: { name: "Official Client", emails: [{ value: "official@example.com", primary: true, label: "work" }] },
  });
  assert.equal(created.success, true);
  const id = created.data.id;
  assert.equal(created.data.first_name, "Official");

  const deal = await deals.addDeal({ AddDealRequest: { title: "npm deal", person_id: id, value: 100 } });
  await deals.updateDeal({ id: deal.data.id, UpdateDealRequest: { status: "won" } });

  const fetched = await persons.getPerson({ id, include_fields: "won_deals_count,closed_deals_count" });
  assert.equal(fetched.data.won_deals_count, 1);
  assert.equal(fetched.data.closed_deals_count, 1);

  await persons.updatePerson({ id, UpdatePersonRequest: { name: "Official Renamed" } });
  const page = await persons.getPersons({ limit: 1 });
  assert.equal(page.data.length, 1);
  assert.ok("next_cursor" in page.additional_data);

  const found = await persons.searchPersons({ term: "Renamed" });
  assert.equal(found.data.items[0].item.id, id);

  try {
    await persons.getPerson({ id: 424242 });
    assert.fail("a missing person must be a 404");
  } catch (error) {
    // The client rejects with Pipedrive's error body.
    assert.equal(error.success, false);
    assert.equal(error.error, "Person not found");
  }

  const removed = await persons.deletePerson({ id });
  assert.equal(removed.data.id, id);
  console.log("official pipedrive client: ok");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
