//! The built-in demo company: company 1, API token `pipedrive_demo_token`, a few hundred
//! persons with organizations, deals, activities, notes, followers, files, mail and custom
//! fields, all written through the same model calls the API uses. Deterministic.

use super::company::PersonPatch;
use super::fields::{FieldDef, FieldOption, FieldType, hex_key};
use super::model::{ContactEntry, DealStatus, Id};
use super::related::{ActivityPatch, DealPatch, NotePatch};
use super::{ModelError, NewMail, Pipedrive};

/// The demo company's id.
pub const DEMO_COMPANY: Id = 1;
/// The demo admin's API token.
pub const DEMO_TOKEN: &str = "pipedrive_demo_token";
/// How many persons the demo creates.
pub const DEMO_PERSONS: u64 = 300;

const FIRST: [&str; 12] = [
    "Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger",
    "Radia", "Tim",
];
const LAST: [&str; 10] = [
    "Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie",
    "Allen", "Dijkstra",
];
const ORGS: [&str; 6] = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark Industries",
    "Wayne Enterprises",
];

/// Loads the demo company; returns how many persons it has.
pub fn load(pipedrive: &Pipedrive) -> Result<u64, ModelError> {
    let admin = pipedrive.add_user(DEMO_COMPANY, "Demo Admin", "admin@demo.example", true);
    pipedrive.add_api_token(DEMO_COMPANY, admin, Some(DEMO_TOKEN));
    let seller = pipedrive.add_user(DEMO_COMPANY, "Sam Seller", "sam@demo.example", false);
    let orgs: Vec<Id> = ORGS
        .iter()
        .map(|name| {
            pipedrive.create_organization(DEMO_COMPANY, name, admin, Some("1 Demo Street, Tallinn"))
        })
        .collect::<Result<_, _>>()?;
    let now = pipedrive.clock().now();
    let persons =
        pipedrive.with_company_mut(DEMO_COMPANY, |company| -> Result<Vec<Id>, ModelError> {
            let tier_id = company.next_id("field");
            let tier_options: Vec<FieldOption> = ["Gold", "Silver", "Bronze"]
                .iter()
                .map(|label| FieldOption {
                    id: company.next_id("option"),
                    label: (*label).to_owned(),
                })
                .collect();
            let tier = company.add_field(FieldDef {
                id: tier_id,
                key: hex_key("demo tier"),
                name: "Tier".into(),
                field_type: FieldType::Enum,
                options: tier_options,
                add_time: now,
            });
            let source_id = company.next_id("field");
            let source = company.add_field(FieldDef {
                id: source_id,
                key: hex_key("demo source"),
                name: "Lead source".into(),
                field_type: FieldType::Varchar,
                options: Vec::new(),
                add_time: now,
            });
            let mut ids = Vec::new();
            for n in 0..DEMO_PERSONS {
                let index = usize::try_from(n).unwrap_or_default();
                let first = FIRST[index % FIRST.len()];
                let last = LAST[(index / FIRST.len()) % LAST.len()];
                let tier_option = tier
                    .options
                    .get(index % 3)
                    .map(|option| option.id)
                    .unwrap_or_default();
                let patch = PersonPatch {
                    name: Some(format!("{first} {last}")),
                    owner_id: Some(if n % 4 == 0 { seller } else { admin }),
                    org_id: Some(orgs.get(index % orgs.len()).copied()),
                    emails: Some(vec![ContactEntry {
                        value: format!(
                            "{}.{}{n}@demo.example",
                            first.to_lowercase(),
                            last.to_lowercase()
                        ),
                        primary: true,
                        label: "work".into(),
                    }]),
                    phones: Some(vec![ContactEntry {
                        value: format!("+372 555 {n:04}"),
                        primary: true,
                        label: "mobile".into(),
                    }]),
                    label_ids: Some(
                        company
                            .labels
                            .get(index % 4)
                            .map(|label| vec![label.id])
                            .unwrap_or_default(),
                    ),
                    custom: vec![
                        (tier.key.clone(), Some(serde_json::Value::from(tier_option))),
                        (
                            source.key.clone(),
                            Some(serde_json::Value::from(
                                ["Website", "Referral", "Event"][index % 3],
                            )),
                        ),
                    ],
                    ..PersonPatch::default()
                };
                let id = company.create_person(
                    patch,
                    admin,
                    now - 86_400 * i64::try_from(DEMO_PERSONS - n).unwrap_or_default(),
                )?;
                ids.push(id);
                if n % 2 == 0 {
                    let status = [DealStatus::Open, DealStatus::Won, DealStatus::Lost][index % 3];
                    let deal = company.create_deal(
                        DealPatch {
                            title: Some(format!("{last} deal {n}")),
                            value: Some(1_000.0 + f64::from(u32::try_from(n).unwrap_or_default())),
                            person_id: Some(Some(id)),
                            ..DealPatch::default()
                        },
                        admin,
                        now,
                    )?;
                    if status != DealStatus::Open {
                        company.update_deal(
                            deal,
                            DealPatch {
                                status: Some(status),
                                ..DealPatch::default()
                            },
                            now,
                        )?;
                    }
                }
                if n % 3 == 0 {
                    company.create_activity(
                        ActivityPatch {
                            subject: Some(format!("Call {first}")),
                            person_id: Some(Some(id)),
                            due_date: Some(super::time::date(
                                now + 86_400 * i64::try_from(n % 10).unwrap_or_default(),
                            )),
                            done: Some(n % 6 == 0),
                            ..ActivityPatch::default()
                        },
                        admin,
                        now,
                    )?;
                }
                if n % 5 == 0 {
                    company.create_note(
                        NotePatch {
                            content: Some(format!(
                                "Met {first} at the {} conference",
                                ORGS[index % ORGS.len()]
                            )),
                            person_id: Some(id),
                            ..NotePatch::default()
                        },
                        admin,
                        now,
                    )?;
                }
                if n % 7 == 0 {
                    company.follow(id, seller, admin, now)?;
                }
            }
            Ok(ids)
        })?;
    for (n, person) in persons.iter().enumerate().filter(|(n, _)| n % 10 == 0) {
        pipedrive.attach_file(
            DEMO_COMPANY,
            *person,
            admin,
            &format!("proposal-{n}.pdf"),
            20_480,
        )?;
        pipedrive.record_mail(
            DEMO_COMPANY,
            NewMail {
                user_id: admin,
                from: "admin@demo.example".into(),
                to: vec![format!("person{n}@demo.example")],
                subject: format!("Proposal {n}"),
                sent: true,
                person_ids: vec![*person],
                ..NewMail::default()
            },
        )?;
    }
    Ok(DEMO_PERSONS)
}
