//! What both API versions' bodies share: the `{success, data}` envelope, offset and cursor
//! pagination, `{id}`, a picture's URLs, and the search hit (the search service answers both
//! versions alike). Depends on neither version's renderer.

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
