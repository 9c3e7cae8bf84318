//! Where capture finds the payload and how it unwraps it, in the order PostHog's capture
//! service does: the `data` query parameter or else the body; a whole payload that looks like
//! base64 is decoded optimistically; a form body (`application/x-www-form-urlencoded`) gives
//! `data` and `compression`; the compression hint comes from the query, then the form, then
//! `Content-Encoding`; gzip (by hint or magic bytes) and LZ-string base64 are inflated with a cap;
//! on the legacy endpoints a result that still looks like base64 is decoded once more.

use std::io::Read as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::read::GzDecoder;

use super::CaptureError;
use super::lz64::{self, Lz64Error};
use crate::http::ApiRequest;

/// The form content type, matched exactly as capture matches it.
const FORM_MIME_TYPE: &str = "application/x-www-form-urlencoded";
/// How much of a payload the base64 and form sniffing look at.
const SNIFFED_PREFIX: usize = 128;
/// The first bytes of a gzip stream.
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];
/// The form fields whose presence marks a payload as a form.
const FORM_FIELDS: [&[u8]; 4] = [b"data=", b"_=", b"ip=", b"compression="];

/// A compression hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compression {
    /// `gzip`, `gzip-js`.
    Gzip,
    /// `lz64`, `lz-string`: LZ-string's base64 form.
    LzString,
    /// `base64`, `b64`: no step of its own; base64 is recognised by its look.
    Base64,
}

impl Compression {
    /// A `compression` parameter (query or form), in any case; other values are no hint.
    fn from_param(value: &str) -> Option<Self> {
        Self::named(&value.to_lowercase())
    }

    /// The hint a name gives (a `Content-Encoding` header is matched exactly).
    fn named(name: &str) -> Option<Self> {
        match name {
            "gzip" | "gzip-js" => Some(Compression::Gzip),
            "lz64" | "lz-string" => Some(Compression::LzString),
            "base64" | "b64" => Some(Compression::Base64),
            _ => None,
        }
    }
}

/// How strictly [`looks_like_base64`] checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Base64Check {
    /// Only the base64 alphabet.
    Strict,
    /// Also spaces: a form decoder turned its `+` into spaces.
    Loose,
}

/// Capture's cheap base64 test: non-empty, a multiple of 4 long, and the first 128 bytes in
/// the alphabet.
fn looks_like_base64(payload: &[u8], check: Base64Check) -> bool {
    !payload.is_empty()
        && payload.len().is_multiple_of(4)
        && payload.iter().take(SNIFFED_PREFIX).all(|byte| {
            byte.is_ascii_alphanumeric()
                || matches!(byte, b'+' | b'/' | b'=')
                || (check == Base64Check::Loose && *byte == b' ')
        })
}

/// Whether the first 128 bytes hold one of capture's form fields at a field start.
fn looks_like_form(payload: &[u8]) -> bool {
    let prefix = payload.get(..SNIFFED_PREFIX).unwrap_or(payload);
    FORM_FIELDS.iter().any(|field| {
        prefix.starts_with(field)
            || prefix
                .windows(field.len() + 1)
                .any(|window| matches!(window.split_first(), Some((b'&', rest)) if rest == *field))
    })
}

/// Standard base64, or `None` when it does not decode.
fn unbase64(payload: &[u8]) -> Option<Vec<u8>> {
    STANDARD.decode(payload).ok()
}

/// A form body's `data` and `compression` fields; 400 when it is no form or repeats one.
fn form_fields(payload: &[u8]) -> Result<(Option<String>, Option<String>), CaptureError> {
    if !looks_like_form(payload) {
        return Err(CaptureError::decoding(
            "expected form data in POST request payload",
        ));
    }
    let (mut data, mut compression) = (None, None);
    for (key, value) in url::form_urlencoded::parse(payload) {
        let slot = match key.as_ref() {
            "data" => &mut data,
            "compression" => &mut compression,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(CaptureError::decoding("invalid urlencoded form data"));
        }
    }
    let data = data.map(|data| {
        if looks_like_base64(data.as_bytes(), Base64Check::Loose) {
            data.replace(' ', "+")
        } else {
            data
        }
    });
    Ok((data, compression))
}

/// The JSON text of a capture request to an endpoint with payload limit `limit`; `legacy`
/// for `/e/`, `/capture/`, `/track/` and `/engage/`, which unwrap base64 once more.
pub fn decode(request: &ApiRequest, limit: usize, legacy: bool) -> Result<String, CaptureError> {
    let raw = match request.query_param("data").filter(|data| !data.is_empty()) {
        Some(data) => data.as_bytes().to_vec(),
        None if !request.body.is_empty() => request.body.clone(),
        None => return Err(CaptureError::bad_request("request missing data payload")),
    };
    if raw.len() > limit {
        return Err(CaptureError::too_big());
    }
    let payload = if !looks_like_form(&raw) && looks_like_base64(&raw, Base64Check::Strict) {
        unbase64(&raw).unwrap_or(raw)
    } else {
        raw
    };
    let (form_data, form_compression) = if request.header("content-type") == Some(FORM_MIME_TYPE) {
        form_fields(&payload)?
    } else {
        (None, None)
    };
    let compression = request
        .query_param("compression")
        .and_then(Compression::from_param)
        .or_else(|| {
            form_compression
                .as_deref()
                .and_then(Compression::from_param)
        })
        .or_else(|| {
            request
                .header("content-encoding")
                .and_then(Compression::named)
        });
    let bytes = form_data.map_or(payload, String::into_bytes);
    let text = if compression == Some(Compression::Gzip) || bytes.starts_with(&GZIP_MAGIC) {
        String::from_utf8(gunzip(&bytes, limit)?)
            .map_err(|_| CaptureError::decoding("invalid gzip data"))?
    } else if compression == Some(Compression::LzString) {
        unlz64(&bytes, limit)?
    } else {
        String::from_utf8(bytes)
            .map_err(|_| CaptureError::decoding("invalid UTF8 in request payload"))?
    };
    if text.len() > limit {
        return Err(CaptureError::too_big());
    }
    if legacy && looks_like_base64(text.as_bytes(), Base64Check::Strict) {
        let unwrapped = unbase64(text.as_bytes()).and_then(|bytes| String::from_utf8(bytes).ok());
        if let Some(unwrapped) = unwrapped {
            return Ok(unwrapped);
        }
    }
    Ok(text)
}

/// Inflates `packed`, refusing more than `limit` bytes of output (read in chunks, so a gzip
/// bomb stops at the limit).
fn gunzip(packed: &[u8], limit: usize) -> Result<Vec<u8>, CaptureError> {
    let mut inflated = Vec::new();
    let read = GzDecoder::new(packed)
        .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut inflated)
        .map_err(|_| CaptureError::decoding("invalid GZIP data"))?;
    if read > limit {
        return Err(CaptureError::too_big());
    }
    Ok(inflated)
}

/// Decompresses LZ-string base64, at most `limit` UTF-16 units (UTF-8 is never shorter).
fn unlz64(packed: &[u8], limit: usize) -> Result<String, CaptureError> {
    let text = std::str::from_utf8(packed).unwrap_or_default();
    let units = lz64::decompress(text, limit).map_err(|error| match error {
        Lz64Error::TooLarge => CaptureError::too_big(),
        Lz64Error::Invalid => CaptureError::decoding("decompress_lz64: failed decompress to UTF16"),
    })?;
    String::from_utf16(&units)
        .map_err(|_| CaptureError::decoding("decompress_lz64: failed UTF16 to UTF8 conversion"))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use flate2::Compression as Level;
    use flate2::write::GzEncoder;

    use super::*;

    const EVENT: &str = r#"{"event":"e","distinct_id":"d","api_key":"phc_x"}"#;

    fn decoded(request: &ApiRequest, legacy: bool) -> Result<String, (u16, String)> {
        decode(request, 1 << 20, legacy).map_err(|error| (error.status, error.message))
    }

    fn form(body: &str) -> ApiRequest {
        ApiRequest::new("POST", "/i/v0/e/")
            .with_header("content-type", FORM_MIME_TYPE)
            .with_body(body)
    }

    fn encode_form(pairs: &[(&str, &str)]) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }

    #[test]
    fn lz64_by_query_form_or_header_hint() {
        let packed = lz_str::compress_to_base64(EVENT);
        let posthog_js = form(&encode_form(&[("data", &packed), ("compression", "lz64")]));
        assert_eq!(decoded(&posthog_js, false).as_deref(), Ok(EVENT));
        let hinted = ApiRequest::new("POST", "/i/v0/e/?compression=LZ-STRING")
            .with_header("content-type", FORM_MIME_TYPE)
            .with_body(encode_form(&[("data", &packed)]));
        assert_eq!(decoded(&hinted, false).as_deref(), Ok(EVENT));
        let unencoded_plus = form(&format!("compression=lz64&data={packed}"));
        assert_eq!(
            decoded(&unencoded_plus, false).as_deref(),
            Ok(EVENT),
            "spaces a form decoder made of `+` are restored"
        );
        let header = ApiRequest::new("POST", "/e/")
            .with_header("content-type", FORM_MIME_TYPE)
            .with_header("content-encoding", "lz64")
            .with_body(encode_form(&[("data", &packed)]));
        assert_eq!(decoded(&header, true).as_deref(), Ok(EVENT));
        assert_eq!(
            decoded(&form("compression=lz64&data=%7B%7D"), false),
            Err((
                400,
                "failed to decode request: decompress_lz64: failed decompress to UTF16".into()
            ))
        );
        let bomb = lz_str::compress_to_base64(&"A".repeat(2 << 20));
        assert_eq!(
            decoded(
                &form(&encode_form(&[("data", &bomb), ("compression", "lz64")])),
                false
            )
            .map_err(|error| error.0),
            Err(413)
        );
    }

    #[test]
    fn base64_whole_body_form_data_and_legacy_unwrap() {
        let encoded = STANDARD.encode(EVENT);
        let body = ApiRequest::new("POST", "/i/v0/e/").with_body(encoded.clone());
        assert_eq!(decoded(&body, false).as_deref(), Ok(EVENT));
        let in_form = form(&encode_form(&[
            ("data", &encoded),
            ("compression", "base64"),
        ]));
        assert_eq!(decoded(&in_form, true).as_deref(), Ok(EVENT));
        assert_eq!(
            decoded(&in_form, false).as_deref(),
            Ok(encoded.as_str()),
            "only the legacy endpoints unwrap a base64 `data`"
        );
        let query = ApiRequest::new(
            "GET",
            &format!("/e/?{}", encode_form(&[("data", &encoded)])),
        );
        assert_eq!(decoded(&query, true).as_deref(), Ok(EVENT));
        let twice = ApiRequest::new("POST", "/capture/").with_body(STANDARD.encode(&encoded));
        assert_eq!(decoded(&twice, true).as_deref(), Ok(EVENT));
    }

    #[test]
    fn gzip_by_hint_or_magic_and_form_errors() {
        let mut encoder = GzEncoder::new(Vec::new(), Level::default());
        encoder.write_all(EVENT.as_bytes()).unwrap();
        let packed = encoder.finish().unwrap();
        let sniffed = ApiRequest::new("POST", "/batch/").with_body(packed.clone());
        assert_eq!(decoded(&sniffed, false).as_deref(), Ok(EVENT));
        let not_gzip = ApiRequest::new("POST", "/batch/?compression=gzip-js").with_body(EVENT);
        assert_eq!(
            decoded(&not_gzip, false),
            Err((400, "failed to decode request: invalid GZIP data".into()))
        );
        assert_eq!(
            decoded(&form(EVENT), false),
            Err((
                400,
                "failed to decode request: expected form data in POST request payload".into()
            ))
        );
        assert_eq!(
            decoded(&form("data=1&data=2"), false),
            Err((
                400,
                "failed to decode request: invalid urlencoded form data".into()
            ))
        );
        assert_eq!(
            decoded(&ApiRequest::new("GET", "/e/?data="), false),
            Err((400, "request missing data payload".into()))
        );
    }
}
