//! `POST /v1/persons/{id}/picture`, written by hand: progenitor cannot generate its
//! `multipart/form-data` body (the spec marks it `x-persons-handwritten`).

use progenitor_client::ClientInfo;
use reqwest::multipart::{Form, Part};

use super::{Client, raw, v1};
use crate::Error;

/// An area of the image to keep, in pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Crop {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// A picture to upload: a GIF, JPG or PNG whose image (or crop) is a square of at least
/// 128 pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PictureUpload {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// The file name sent with it (e.g. `me.png`).
    pub file_name: String,
    /// Its media type (`image/png`, `image/jpeg`, `image/gif`).
    pub content_type: String,
    /// The area to keep, if not the whole image.
    pub crop: Option<Crop>,
}

impl Client {
    /// Uploads `upload` as person `id`'s picture, replacing any existing one.
    pub async fn add_person_picture(
        &self,
        id: i64,
        upload: PictureUpload,
    ) -> Result<v1::types::PictureResponse, Error> {
        let file = Part::bytes(upload.bytes)
            .file_name(upload.file_name)
            .mime_str(&upload.content_type)
            .map_err(|error| Error::InvalidRequest(format!("invalid content type: {error}")))?;
        let mut form = Form::new().part("file", file);
        if let Some(crop) = upload.crop {
            form = form
                .text("crop_x", crop.x.to_string())
                .text("crop_y", crop.y.to_string())
                .text("crop_width", crop.width.to_string())
                .text("crop_height", crop.height.to_string());
        }
        let v1 = self.v1();
        let request = v1
            .client()
            .post(format!("{}/persons/{id}/picture", v1.baseurl()))
            .multipart(form);
        raw::send(v1, request, "addPersonPicture").await
    }
}
