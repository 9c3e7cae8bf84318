//! The built-in demo company: company 1, API token `pipedrive_demo_token`, a few hundred
//! persons with organizations, deals, activities, notes, followers, files, mail and custom
//! fields, all written as log entries through the same `apply` the API uses. Deterministic.

use serde_json::Value;

use super::fields::{FieldType, hex_key};
use super::log::{
    ActivityEntry, CustomValues, DealEntry, Entry, FieldEntry, FollowerEntry, NoteEntry,
    PersonEntry,
};
use super::model::{ContactEntry, DealStatus, Id};
use super::{NewMail, Pipedrive, RecordError};
use crate::Timestamp;

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
const TIERS: [&str; 3] = ["Gold", "Silver", "Bronze"];

/// Loads the demo company; returns how many persons it has.
pub fn load(pipedrive: &Pipedrive) -> Result<u64, RecordError> {
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
    let at = |seconds: i64| Some(Timestamp::from_unix_seconds(seconds));
    let apply = |entry: Entry| pipedrive.apply(DEMO_COMPANY, entry);
    let field = |name: &str, key: &str, field_type, labels: &[&str]| {
        apply(Entry::PersonField(FieldEntry {
            key: Some(hex_key(key)),
            time: at(now),
            ..FieldEntry::new(name, field_type, labels.iter().copied())
        }))
    };
    field("Tier", "demo tier", FieldType::Enum, &TIERS)?;
    field("Lead source", "demo source", FieldType::Varchar, &[])?;
    let (tier_options, labels) = pipedrive
        .with_company(DEMO_COMPANY, |company| {
            let tier = company.field(&hex_key("demo tier"));
            let options: Vec<Id> = tier
                .into_iter()
                .flat_map(|tier| tier.options.iter().map(|option| option.id))
                .collect();
            let labels: Vec<Id> = company.labels.iter().map(|label| label.id).collect();
            (options, labels)
        })
        .unwrap_or_default();
    let mut persons = Vec::new();
    for n in 0..DEMO_PERSONS {
        let index = usize::try_from(n).unwrap_or_default();
        let first = FIRST[index % FIRST.len()];
        let last = LAST[(index / FIRST.len()) % LAST.len()];
        let contact = |value: String, label: &str| ContactEntry {
            value,
            primary: true,
            label: label.into(),
        };
        let person = PersonEntry {
            name: Some(format!("{first} {last}")),
            owner_id: Some(if n % 4 == 0 { seller } else { admin }),
            org_id: Some(orgs.get(index % orgs.len()).copied()),
            emails: Some(vec![contact(
                format!(
                    "{}.{}{n}@demo.example",
                    first.to_lowercase(),
                    last.to_lowercase()
                ),
                "work",
            )]),
            phones: Some(vec![contact(format!("+372 555 {n:04}"), "mobile")]),
            label_ids: Some(labels.get(index % 4).copied().into_iter().collect()),
            custom_fields: CustomValues(vec![
                (
                    hex_key("demo tier"),
                    Some(Value::from(
                        tier_options.get(index % 3).copied().unwrap_or_default(),
                    )),
                ),
                (
                    hex_key("demo source"),
                    Some(Value::from(["Website", "Referral", "Event"][index % 3])),
                ),
            ]),
            actor_user_id: Some(admin),
            time: at(now - 86_400 * i64::try_from(DEMO_PERSONS - n).unwrap_or_default()),
            ..PersonEntry::default()
        };
        let id = apply(Entry::Person(person))?;
        persons.push(id);
        if n % 2 == 0 {
            let status = [DealStatus::Open, DealStatus::Won, DealStatus::Lost][index % 3];
            let deal = apply(Entry::Deal(DealEntry {
                title: Some(format!("{last} deal {n}")),
                value: Some(1_000.0 + f64::from(u32::try_from(n).unwrap_or_default())),
                owner_id: Some(admin),
                person_id: Some(Some(id)),
                time: at(now),
                ..DealEntry::default()
            }))?;
            if status != DealStatus::Open {
                apply(Entry::DealUpdate(DealEntry {
                    id: Some(deal),
                    status: Some(status),
                    time: at(now),
                    ..DealEntry::default()
                }))?;
            }
        }
        if n % 3 == 0 {
            apply(Entry::Activity(ActivityEntry {
                subject: Some(format!("Call {first}")),
                owner_id: Some(admin),
                person_id: Some(Some(id)),
                due_date: Some(super::time::date(
                    now + 86_400 * i64::try_from(n % 10).unwrap_or_default(),
                )),
                done: Some(n % 6 == 0),
                time: at(now),
                ..ActivityEntry::default()
            }))?;
        }
        if n % 5 == 0 {
            apply(Entry::Note(NoteEntry {
                content: Some(format!(
                    "Met {first} at the {} conference",
                    ORGS[index % ORGS.len()]
                )),
                user_id: Some(admin),
                person_id: Some(id),
                time: at(now),
                ..NoteEntry::default()
            }))?;
        }
        if n % 7 == 0 {
            apply(Entry::Follower(FollowerEntry {
                person_id: id,
                user_id: seller,
                actor_user_id: Some(admin),
                time: at(now),
            }))?;
        }
    }
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
