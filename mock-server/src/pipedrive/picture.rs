//! Person pictures: v1 `POST /persons/{id}/picture` (a `multipart/form-data` upload with
//! optional crop), v1 `DELETE /persons/{id}/picture`, and v2 `GET /persons/{id}/picture`.

use super::api::{self, CONTACTS_FULL, CONTACTS_READ, Context};
use super::error::PipedriveError;
use super::image;
use super::model::{Id, Picture};
use super::multipart::{self, Part};
use super::render_v1::{DataBody, IdJson, PictureJson};
use super::render_v2::PictureJson as PictureJsonV2;
use crate::http::ApiResponse;

type Answer = Result<ApiResponse, PipedriveError>;

/// The smallest side Pipedrive accepts, in pixels.
pub const MIN_SIDE: u32 = 128;

/// `POST /v1/persons/{id}/picture`.
pub fn upload(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let parts = form(cx)?;
    let file = parts
        .iter()
        .find(|part| part.name == "file")
        .ok_or_else(|| PipedriveError::bad_request("File must be given."))?;
    let dimensions = image::sniff(&file.body).ok_or_else(|| {
        PipedriveError::bad_request("Unsupported file type. GIF, JPG and PNG are accepted.")
    })?;
    let (width, height) = cropped(&parts, dimensions)?;
    if width != height || width < MIN_SIDE {
        return Err(PipedriveError::bad_request(format!(
            "The image (or its crop) must be a square of at least {MIN_SIDE} pixels."
        )));
    }
    let mut company = cx.write()?;
    api::visible_person(&company, &cx.caller, id)?;
    let picture = Picture {
        id: company.next_id("picture"),
        added_by_user_id: cx.caller.user.id,
        file_size: u64::try_from(file.body.len()).unwrap_or(u64::MAX),
        add_time: cx.now(),
    };
    company.set_picture(id, Some(picture), cx.now())?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(PictureJson::of(&company, id, &picture, false)),
    ))
}

/// `DELETE /v1/persons/{id}/picture`.
pub fn remove(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_FULL)?;
    let mut company = cx.write()?;
    let person = api::visible_person(&company, &cx.caller, id)?;
    let picture = person.picture.ok_or_else(not_found)?;
    company.set_picture(id, None, cx.now())?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(IdJson { id: picture.id }),
    ))
}

/// `GET /api/v2/persons/{id}/picture`: 404 when the person has none.
pub fn read(cx: &Context<'_>, id: Id) -> Answer {
    cx.caller.require(CONTACTS_READ)?;
    let company = cx.read()?;
    let person = api::visible_person(&company, &cx.caller, id)?;
    let picture = person.picture.ok_or_else(not_found)?;
    Ok(ApiResponse::json(
        200,
        &DataBody::new(PictureJsonV2::of(&company, id, &picture)),
    ))
}

fn not_found() -> PipedriveError {
    PipedriveError::not_found("Picture not found")
}

/// The parts of the request's `multipart/form-data` body.
fn form(cx: &Context<'_>) -> Result<Vec<Part>, PipedriveError> {
    let boundary = cx
        .request
        .header("content-type")
        .and_then(multipart::boundary)
        .ok_or_else(|| {
            PipedriveError::bad_request("The request must be multipart/form-data with a file.")
        })?;
    multipart::parse(&boundary, &cx.request.body)
        .ok_or_else(|| PipedriveError::bad_request("The multipart/form-data body is malformed."))
}

/// The size of the area kept: the crop rectangle when one is given (it must lie inside the
/// image), else the whole image.
fn cropped(parts: &[Part], image: image::Dimensions) -> Result<(u32, u32), PipedriveError> {
    let field = |name: &str| -> Result<Option<u32>, PipedriveError> {
        parts
            .iter()
            .find(|part| part.name == name)
            .map(|part| {
                part.text()
                    .and_then(|text| text.trim().parse::<u32>().ok())
                    .ok_or_else(|| {
                        PipedriveError::bad_request(format!(
                            "{name} must be a non-negative integer."
                        ))
                    })
            })
            .transpose()
    };
    let x = field("crop_x")?.unwrap_or(0);
    let y = field("crop_y")?.unwrap_or(0);
    let width = field("crop_width")?.unwrap_or_else(|| image.width.saturating_sub(x));
    let height = field("crop_height")?.unwrap_or_else(|| image.height.saturating_sub(y));
    let inside = |start: u32, length: u32, limit: u32| {
        start
            .checked_add(length)
            .is_some_and(|end| end <= limit && length > 0)
    };
    if !inside(x, width, image.width) || !inside(y, height, image.height) {
        return Err(PipedriveError::bad_request(
            "The crop area must lie inside the image.",
        ));
    }
    Ok((width, height))
}
