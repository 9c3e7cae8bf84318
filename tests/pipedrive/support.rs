//! Shared set-up: a mock with a frozen clock, company 1, its admin's token and an SDK client.

use persons_mock::MockServer;
use persons_mock::pipedrive::Pipedrive;
use persons_sdk::pipedrive::{Client, v1, v2};
use persons_sdk::{ApiErrorBody, Error};

/// The frozen "now" of every test.
pub const NOW: i64 = 1_790_000_000;
/// The company most tests use.
pub const COMPANY: u64 = 1;

/// A running mock, its Pipedrive handle, the admin user and a client with its token.
pub struct Fixture {
    pub mock: MockServer,
    pub pipedrive: Pipedrive,
    pub admin: u64,
    pub token: String,
    pub client: Client,
}

impl Fixture {
    /// An empty mock frozen at [`NOW`] with one company and its admin's API token.
    pub async fn new() -> Self {
        let mock = MockServer::start().await;
        mock.clock().set(NOW);
        let pipedrive = mock.pipedrive();
        let (admin, token) = pipedrive.create_company(COMPANY);
        let client = client(&pipedrive, &token);
        Self {
            mock,
            pipedrive,
            admin,
            token,
            client,
        }
    }

    /// Creates a person through API v2; returns its id.
    pub async fn person(&self, name: &str) -> i64 {
        let input = v2::types::PersonInput {
            name: Some(name.into()),
            ..Default::default()
        };
        self.client
            .v2()
            .add_person()
            .body(input)
            .send()
            .await
            .expect("person created")
            .into_inner()
            .data
            .id
    }

    /// Creates an organization of [`COMPANY`] owned by the admin; returns its id.
    pub fn org(&self, name: &str, address: Option<&str>) -> i64 {
        let id = self
            .pipedrive
            .create_organization(COMPANY, name, self.admin, address)
            .expect("organization created");
        i64::try_from(id).expect("small id")
    }

    /// Creates a deal for `person` through API v2; returns its id.
    pub async fn deal(&self, person: i64, title: &str) -> i64 {
        let input = v2::types::DealInput {
            title: Some(title.into()),
            person_id: Some(person),
            ..Default::default()
        };
        self.client
            .v2()
            .add_deal()
            .body(input)
            .send()
            .await
            .expect("deal created")
            .into_inner()
            .data
            .id
    }

    /// The person through API v2 with every counter included.
    pub async fn counters(&self, person: i64) -> v2::types::Person {
        self.client
            .person(person, &ALL_COUNTERS)
            .await
            .expect("person readable")
    }

    /// The person through API v1 (counters always included).
    pub async fn v1_person(&self, person: i64) -> v1::types::Person {
        self.client
            .v1()
            .get_person()
            .id(person)
            .send()
            .await
            .expect("person readable")
            .into_inner()
            .data
    }
}

/// Every counter `include_fields` can name.
pub const ALL_COUNTERS: [&str; 21] = [
    "open_deals_count",
    "closed_deals_count",
    "won_deals_count",
    "lost_deals_count",
    "related_open_deals_count",
    "related_closed_deals_count",
    "related_won_deals_count",
    "related_lost_deals_count",
    "participant_open_deals_count",
    "participant_closed_deals_count",
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "next_activity_id",
    "last_activity_id",
    "notes_count",
    "files_count",
    "followers_count",
    "email_messages_count",
    "last_incoming_mail_time",
    "last_outgoing_mail_time",
];

/// A client for `pipedrive` with `token` and a fast retry backoff.
pub fn client(pipedrive: &Pipedrive, token: &str) -> Client {
    Client::builder()
        .base_url(pipedrive.base_url())
        .api_token(token)
        .retry_backoff(std::time::Duration::from_millis(1))
        .build()
        .expect("client builds")
}

/// The error of a call that must fail.
pub fn api_error<T: std::fmt::Debug>(
    result: Result<T, Error>,
) -> (u16, persons_sdk::pipedrive::ErrorBody) {
    match result {
        Err(Error::Api {
            status,
            body: ApiErrorBody::Pipedrive(body),
        }) => (status.as_u16(), *body),
        other => panic!("expected an API error, got {other:?}"),
    }
}
