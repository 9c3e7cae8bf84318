//! What both API versions' bodies share: the `{success, data}` envelope, offset and cursor
//! pagination, `{id}`, a picture's URLs, and the search hit (the search service answers both
//! versions alike). Depends on neither version's renderer.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use super::error::PipedriveError;

use super::model::{Id, Person, Picture};
use super::table::Table;
use super::tenant::Company;
use crate::http::ApiResponse;

/// `{success: true, data}`.
#[derive(Serialize)]
pub struct DataBody<T> {
    /// Always true.
    pub success: bool,
    /// The payload.
    pub data: T,
}

impl<T> DataBody<T> {
    /// A success body around `data`.
    pub fn new(data: T) -> Self {
        Self {
            success: true,
            data,
        }
    }
}

/// Record `id` of `table` (deleted ones included) as `json` renders it, with `status`; `what`
/// names the record in the 404.
pub fn record_response<T, J: Serialize>(
    table: &Table<T>,
    id: Id,
    what: &str,
    status: u16,
    json: impl FnOnce(&T) -> J,
) -> Result<ApiResponse, PipedriveError> {
    let record = table
        .get(&id)
        .ok_or_else(|| PipedriveError::not_found(format!("{what} not found")))?;
    Ok(ApiResponse::json(status, &DataBody::new(json(record))))
}

/// The bytes per listed item of a route's last answer, so the next answer is rendered into a
/// buffer of about its final size instead of one that doubles (and copies) its way there.
pub struct SizeHint(AtomicUsize);

impl SizeHint {
    /// No answer seen yet.
    pub const fn new() -> Self {
        Self(AtomicUsize::new(0))
    }

    /// A buffer for a list of `items` items.
    fn buffer(&self, items: usize) -> Vec<u8> {
        let per_item = self.0.load(Ordering::Relaxed);
        Vec::with_capacity(per_item.saturating_mul(items.saturating_add(1)))
    }

    /// `body`, the JSON of a list of `items` items, as a response with `status`.
    fn answer(&self, status: u16, items: usize, body: Vec<u8>) -> ApiResponse {
        self.0.store(body.len() / items.max(1), Ordering::Relaxed);
        ApiResponse::new(status, "application/json", body)
    }
}

/// What a list body holds after `data`.
#[derive(Serialize)]
pub struct ListTail<A, R> {
    /// Pagination and other extras.
    pub additional_data: A,
    /// Sideloaded objects (v1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_objects: Option<R>,
}

/// A list's 200 answer, `{"success":true,"data":[…],…}`: each item appended by `write` (a
/// kept rendering or a fresh one), then the fields of `tail`; an empty page's `data` is
/// `empty` (v1 answers `null`, v2 `[]`). Rendered into a buffer sized by `hint`.
pub fn list_response<T>(
    hint: &SizeHint,
    items: &[T],
    mut write: impl FnMut(&T, &mut Vec<u8>),
    empty: &[u8],
    tail: &impl Serialize,
) -> ApiResponse {
    let mut out = hint.buffer(items.len());
    let data = |out: &mut Vec<u8>| {
        if items.is_empty() {
            return out.extend_from_slice(empty);
        }
        out.push(b'[');
        for (position, item) in items.iter().enumerate() {
            if position > 0 {
                out.push(b',');
            }
            write(item, out);
        }
        out.push(b']');
    };
    success_body(&mut out, data, tail);
    hint.answer(200, items.len(), out)
}

/// Appends `{"success":true,"data":…,…}` to `out`: `data` written by `write_data`, then the
/// fields of `tail`, a struct, as a derived body would put them after `data`.
pub fn success_body(
    out: &mut Vec<u8>,
    write_data: impl FnOnce(&mut Vec<u8>),
    tail: &impl Serialize,
) {
    out.extend_from_slice(b"{\"success\":true,\"data\":");
    write_data(out);
    // The tail's own `{` becomes the comma after `data`.
    match to_json(tail).split_first() {
        Some((b'{', fields)) if fields != b"}" => {
            out.push(b',');
            out.extend_from_slice(fields);
        }
        _ => out.push(b'}'),
    }
}

/// `value` as JSON. The bodies written this way have no map keys that are not text, so
/// serde_json cannot refuse them; if it did, the value is written as `null`.
pub fn to_json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec())
}

/// Appends `value` as JSON to `out`, with no intermediate buffer; `null` where [`to_json`]
/// would write it.
pub fn write_json(value: &impl Serialize, out: &mut Vec<u8>) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(start);
        out.extend_from_slice(b"null");
    }
}

/// Offset pagination.
#[derive(Serialize)]
pub struct Pagination {
    /// First item's offset.
    pub start: usize,
    /// Page size.
    pub limit: usize,
    /// Whether more items follow.
    pub more_items_in_collection: bool,
    /// Where the next page starts (only when there is one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_start: Option<usize>,
}

/// `additional_data.next_cursor` of a cursor-paginated list.
#[derive(Serialize)]
pub struct Cursored {
    /// The next page's cursor, null on the last page.
    pub next_cursor: Option<String>,
}

/// `{id}`.
#[derive(Serialize)]
pub struct IdJson {
    /// The id.
    pub id: Id,
}

/// The Smart BCC address of a person.
pub fn cc_email(company: &Company, person: &Person) -> String {
    format!(
        "company{}+person{}@pipedrivemail.com",
        company.id, person.id
    )
}

/// The URLs of a picture's two sizes.
#[derive(Serialize)]
pub struct PictureUrls {
    #[serde(rename = "128")]
    small: String,
    #[serde(rename = "512")]
    large: String,
}

impl PictureUrls {
    /// Where the 128 and 512 pixel squares of `picture` would be served.
    pub fn of(company: &Company, person: Id, picture: &Picture) -> Self {
        let url = |size: u16| {
            format!(
                "https://pipedrive-profile-pics.s3.amazonaws.com/company{}_person{person}_{}_{size}.jpg",
                company.id, picture.id
            )
        };
        Self {
            small: url(128),
            large: url(512),
        }
    }
}

/// `data` of a search: `{items}`.
#[derive(Serialize)]
pub struct SearchData {
    /// The hits, best first.
    pub items: Vec<SearchItemJson>,
}

/// One search hit (both versions).
#[derive(Serialize)]
pub struct SearchItemJson {
    /// Relevance.
    pub result_score: f64,
    /// The person.
    pub item: SearchPersonJson,
}

/// The owner of a search hit.
#[derive(Serialize)]
pub struct SearchOwnerJson {
    /// User id.
    pub id: Id,
}

/// The organization of a search hit.
#[derive(Serialize)]
pub struct SearchOrgJson {
    /// Organization id.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Address.
    pub address: Option<String>,
}

/// A person as the search service renders it.
#[derive(Serialize)]
pub struct SearchPersonJson {
    /// Person id.
    pub id: Id,
    /// Always `person`.
    pub r#type: &'static str,
    /// Name.
    pub name: String,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// E-mail addresses.
    pub emails: Vec<String>,
    /// Visibility.
    pub visible_to: u8,
    /// Owner.
    pub owner: SearchOwnerJson,
    /// Organization.
    pub organization: Option<SearchOrgJson>,
    /// Matched custom field values.
    pub custom_fields: Vec<String>,
    /// Matched notes.
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::super::demo;
    use super::super::fields::hex_key;
    use super::super::render_v2::INCLUDE_FIELDS;
    use crate::clock::Clock;
    use crate::http::ApiRequest;
    use crate::router::App;

    /// The routes whose bodies [`EXPECTED`] pins: both versions' lists in several shapes,
    /// and a person's details (they share the v1 person).
    fn routes() -> Vec<String> {
        let tier = hex_key("demo tier");
        let source = hex_key("demo source");
        vec![
            "/v1/persons?limit=20".to_owned(),
            "/v1/persons?start=20&limit=100&sort=name%20DESC".to_owned(),
            "/v1/persons?limit=500&user_id=2".to_owned(),
            "/v1/persons/collection?limit=100".to_owned(),
            "/v1/persons/7".to_owned(),
            "/api/v2/persons?limit=20".to_owned(),
            format!(
                "/api/v2/persons?limit=100&include_fields={}",
                INCLUDE_FIELDS.join(",")
            ),
            format!(
                "/api/v2/persons?limit=50&custom_fields={tier},{source}&include_option_labels=true&include_labels=true&sort_by=update_time&sort_direction=desc"
            ),
        ]
    }

    /// The length and SHA-1 of each route's body for the demo company at a frozen clock, as
    /// rendered before the renderers were optimised: any change to a byte shows here.
    const EXPECTED: [(usize, &str); 8] = [
        (31850, "bb14e17c92cdb2564a4a0886477a8b721b1721b0"),
        (155299, "0648e674789b97ff15ba0cbe2a6ccbdd5a902636"),
        (116249, "5a10596934a888ab161c2390e64fa1480f83574b"),
        (42494, "3e978e5e49836dbb7e07a18ec67d68aae2a2d430"),
        (1925, "43ceddcd5f45dcc807df4a6c770d76cb6f0ef99d"),
        (10299, "1cfb226e53f4b51284425783688d65f3c4360436"),
        (109681, "c7d73843bf74fb98b374bee34a949974639ddf76"),
        (28771, "8ac3454c402e7b6ff952fc72cc1eaa6cb4da0150"),
    ];

    #[test]
    fn list_and_person_bodies_stay_byte_identical() {
        let app = App::new(Clock::frozen_at(1_767_225_600));
        demo::load(&app.pipedrive_at("http://mock")).unwrap();
        for (route, (length, digest)) in routes().iter().zip(EXPECTED) {
            let request = ApiRequest::new("GET", &format!("/pipedrive{route}"))
                .with_header("x-api-token", demo::DEMO_TOKEN);
            let response = app.handle(&request);
            assert_eq!(response.status, 200, "{route}");
            let actual = sha1_smol::Sha1::from(&response.body).digest().to_string();
            assert_eq!(
                (response.body.len(), actual.as_str()),
                (length, digest),
                "{route}"
            );
        }
    }
}
