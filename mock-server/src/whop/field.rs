//! The person fields that `sort` and `filters` name, and their values for one person.

use super::log::AdLevel;
use super::tenant::{Account, Person, PersonIndex};
use super::timeline::WindowAggregate;

/// A field of the Whop `Person` object that can be sorted or filtered on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonField {
    /// `id`
    Id,
    /// `person_id`
    PersonId,
    /// `name`
    Name,
    /// `email`
    Email,
    /// `phone`
    Phone,
    /// `first_seen_at`
    FirstSeenAt,
    /// `last_seen_at`
    LastSeenAt,
    /// `purchase_count`
    PurchaseCount,
    /// `has_failed_payment`
    HasFailedPayment,
    /// `ltv`
    Ltv,
    /// `aov`
    Aov,
    /// `campaigns` (filter only)
    Campaigns,
    /// `ad_sets` (filter only)
    AdSets,
    /// `ads` (filter only)
    Ads,
}

/// The kind of value a field holds, which decides the operators it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Text, possibly absent.
    Text,
    /// Whole number (counts, Unix timestamps).
    Integer,
    /// US dollars, compared in cents.
    Money,
    /// True or false.
    Boolean,
    /// A list of ad entity ids.
    IdList,
}

impl PersonField {
    /// Every field, in the order of the `Person` object.
    pub const ALL: [PersonField; 14] = [
        PersonField::Id,
        PersonField::PersonId,
        PersonField::Name,
        PersonField::Email,
        PersonField::Phone,
        PersonField::FirstSeenAt,
        PersonField::LastSeenAt,
        PersonField::PurchaseCount,
        PersonField::HasFailedPayment,
        PersonField::Ltv,
        PersonField::Aov,
        PersonField::Campaigns,
        PersonField::AdSets,
        PersonField::Ads,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PersonField::Id => "id",
            PersonField::PersonId => "person_id",
            PersonField::Name => "name",
            PersonField::Email => "email",
            PersonField::Phone => "phone",
            PersonField::FirstSeenAt => "first_seen_at",
            PersonField::LastSeenAt => "last_seen_at",
            PersonField::PurchaseCount => "purchase_count",
            PersonField::HasFailedPayment => "has_failed_payment",
            PersonField::Ltv => "ltv",
            PersonField::Aov => "aov",
            PersonField::Campaigns => "campaigns",
            PersonField::AdSets => "ad_sets",
            PersonField::Ads => "ads",
        }
    }

    /// The field called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.as_str() == name)
    }

    /// What kind of value it holds.
    pub fn field_type(self) -> FieldType {
        match self {
            PersonField::Id
            | PersonField::PersonId
            | PersonField::Name
            | PersonField::Email
            | PersonField::Phone => FieldType::Text,
            PersonField::FirstSeenAt | PersonField::LastSeenAt | PersonField::PurchaseCount => {
                FieldType::Integer
            }
            PersonField::Ltv | PersonField::Aov => FieldType::Money,
            PersonField::HasFailedPayment => FieldType::Boolean,
            PersonField::Campaigns | PersonField::AdSets | PersonField::Ads => FieldType::IdList,
        }
    }

    /// Whether `sort` accepts it (every scalar field).
    pub fn is_sortable(self) -> bool {
        self.field_type() != FieldType::IdList
    }

    /// The names of the sortable fields, for error messages.
    pub fn sortable_names() -> String {
        Self::ALL
            .into_iter()
            .filter(|field| field.is_sortable())
            .map(PersonField::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A person as seen through one time window: the unit that lists sort, filter and render.
#[derive(Clone, Copy, Debug)]
pub struct PersonView<'a> {
    /// The account holding the person.
    pub account: &'a Account,
    /// The person.
    pub person: &'a Person,
    /// Their aggregates over the window.
    pub aggregate: WindowAggregate,
    /// Window start (Unix seconds).
    pub from: i64,
    /// Window end (Unix seconds).
    pub to: i64,
}

/// One field's value for one person.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue<'a> {
    /// Text, or `None` for null.
    Text(Option<&'a str>),
    /// A whole number, or an amount in cents.
    Integer(i64),
    /// A boolean.
    Boolean(bool),
    /// Ad entity ids.
    IdList(Vec<&'a str>),
}

impl<'a> PersonView<'a> {
    /// The person at `index` seen through `[from, to]`, if live with an event in it.
    pub fn at(account: &'a Account, index: PersonIndex, from: i64, to: i64) -> Option<Self> {
        Some(Self {
            account,
            person: account.person(index),
            aggregate: account.window_of(index, from, to)?,
            from,
            to,
        })
    }

    /// The value of `field` (money in cents).
    pub fn value(&self, field: PersonField) -> FieldValue<'a> {
        let aggregate = &self.aggregate;
        match field {
            PersonField::Id => FieldValue::Text(Some(&self.person.id)),
            PersonField::PersonId => FieldValue::Text(Some(&self.person.person_id)),
            PersonField::Name => FieldValue::Text(self.name()),
            PersonField::Email => FieldValue::Text(self.email()),
            PersonField::Phone => FieldValue::Text(self.phone()),
            PersonField::FirstSeenAt => FieldValue::Integer(aggregate.first_seen_at),
            PersonField::LastSeenAt => FieldValue::Integer(aggregate.last_seen_at),
            PersonField::PurchaseCount => FieldValue::Integer(i64::from(aggregate.purchase_count)),
            PersonField::HasFailedPayment => FieldValue::Boolean(aggregate.has_failed_payment),
            PersonField::Ltv => FieldValue::Integer(aggregate.ltv_cents),
            PersonField::Aov => FieldValue::Integer(aggregate.aov_cents()),
            PersonField::Campaigns => FieldValue::IdList(self.ads(AdLevel::Campaign)),
            PersonField::AdSets => FieldValue::IdList(self.ads(AdLevel::AdSet)),
            PersonField::Ads => FieldValue::IdList(self.ads(AdLevel::Ad)),
        }
    }

    /// The name from the latest event in the window carrying one.
    pub fn name(&self) -> Option<&'a str> {
        let event = self.account.event(self.aggregate.name_event?);
        event.name()
    }

    /// The e-mail from the latest event in the window carrying one.
    pub fn email(&self) -> Option<&'a str> {
        let event = self.account.event(self.aggregate.email_event?);
        event.email()
    }

    /// The phone number from the latest event in the window carrying one.
    pub fn phone(&self) -> Option<&'a str> {
        let event = self.account.event(self.aggregate.phone_event?);
        event.phone()
    }

    /// Whether the window holds every event of the person.
    pub fn holds_whole_history(&self) -> bool {
        self.person
            .timeline
            .span()
            .is_some_and(|(first, last)| self.from <= first && last <= self.to)
    }

    /// Ids of the ad entities of `level` that touched the person in the window.
    pub fn ads(&self, level: AdLevel) -> Vec<&'a str> {
        self.person
            .timeline
            .ads_in_window(level, self.from, self.to)
    }
}
