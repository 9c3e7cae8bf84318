//! A person picture's upload (v1 `POST /persons/{id}/picture`): a `multipart/form-data` body
//! with a `file` part (GIF, JPEG or PNG) and an optional crop, which must leave a square of
//! at least [`MIN_SIDE`] pixels.

use super::error::PipedriveError;
use super::image;
use super::multipart::{self, Part};
use crate::http::ApiRequest;

/// The smallest side Pipedrive accepts, in pixels.
pub const MIN_SIDE: u32 = 128;

/// The size in bytes of the picture `request` uploads, once its form passes every check.
pub fn uploaded_size(request: &ApiRequest) -> Result<u64, PipedriveError> {
    let parts = form(request)?;
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
    Ok(u64::try_from(file.body.len()).unwrap_or(u64::MAX))
}

/// The parts of the request's `multipart/form-data` body.
fn form(request: &ApiRequest) -> Result<Vec<Part>, PipedriveError> {
    let boundary = request
        .header("content-type")
        .and_then(multipart::boundary)
        .ok_or_else(|| {
            PipedriveError::bad_request("The request must be multipart/form-data with a file.")
        })?;
    multipart::parse(&boundary, &request.body)
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
