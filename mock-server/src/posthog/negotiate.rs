//! How a viewset renders an answer: Django REST framework's content negotiation between
//! PostHog's JSON renderer and djangorestframework-csv's `PaginatedCSVRenderer`, the two
//! renderers of `PersonViewSet`; the other viewsets (`/query/` among them) have PostHog's
//! default renderers, JSON alone.

use super::error::PostHogError;
use crate::http::{ApiRequest, ApiResponse};

/// The content type of a CSV answer.
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// The renderer DRF picks for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `application/json`, the default.
    Json,
    /// `text/csv`: only the body's `results` are rendered.
    Csv,
}

impl Format {
    /// `PersonViewSet`'s renderers in its order (JSON first), with their format and media
    /// type.
    const PERSONS: &'static [(Format, &'static str, &'static str)] = &[
        (Format::Json, "json", "application/json"),
        (Format::Csv, "csv", "text/csv"),
    ];

    /// PostHog's default renderers (`DEFAULT_RENDERER_CLASSES`): JSON alone.
    const DEFAULT: &'static [(Format, &'static str, &'static str)] = Self::PERSONS.split_at(1).0;

    /// The renderer of `PersonViewSet` for `request`, see [`Self::select`].
    pub fn negotiate(request: &ApiRequest, csv_suffix: bool) -> Result<Format, PostHogError> {
        Self::select(Self::PERSONS, request, csv_suffix)
    }

    /// Whether a viewset with PostHog's default renderers (JSON alone, as `/query/`) can
    /// answer `request` ([`Self::select`]): `?format=csv` is its 404, `Accept: text/csv` its
    /// 406.
    pub fn negotiate_json(request: &ApiRequest) -> Result<(), PostHogError> {
        Self::select(Self::DEFAULT, request, false).map(|_| ())
    }

    /// DRF's `DefaultContentNegotiation.select_renderer` among `offered`: the `.csv` suffix
    /// (`csv_suffix`) or else a non-empty `?format=` (the last one) keeps only the renderer of
    /// that format (none: 404 `Not found.`); then the `Accept` header's media types, most
    /// specific first (`*/*`, then `type/*`, then `type/sub`, then with parameters; `q` is
    /// ignored), pick the first renderer one of them matches (none: 406). No `Accept` means
    /// `*/*`.
    fn select(
        offered: &[(Format, &'static str, &'static str)],
        request: &ApiRequest,
        csv_suffix: bool,
    ) -> Result<Format, PostHogError> {
        let wanted = if csv_suffix {
            Some("csv")
        } else {
            request
                .query_param("format")
                .filter(|value| !value.is_empty())
        };
        let renderers: Vec<_> = offered
            .iter()
            .filter(|(_, format, _)| wanted.is_none_or(|wanted| wanted == *format))
            .collect();
        if renderers.is_empty() {
            return Err(PostHogError::not_found());
        }
        let accept = request.header("accept").unwrap_or("*/*");
        let accepted: Vec<MediaType<'_>> = accept.split(',').map(MediaType::parse).collect();
        (0..4)
            .rev()
            .find_map(|precedence| {
                renderers.iter().find_map(|(format, _, media_type)| {
                    accepted
                        .iter()
                        .filter(|accepted| accepted.precedence() == precedence)
                        .any(|accepted| accepted.admits(media_type))
                        .then_some(*format)
                })
            })
            .ok_or_else(PostHogError::not_acceptable)
    }
}

/// One media type of an `Accept` header.
struct MediaType<'a> {
    main: &'a str,
    sub: &'a str,
    has_params: bool,
}

impl<'a> MediaType<'a> {
    fn parse(text: &'a str) -> Self {
        let mut parts = text.split(';');
        let (main, sub) = parts
            .next()
            .unwrap_or_default()
            .trim()
            .split_once('/')
            .unwrap_or((text.trim(), ""));
        let has_params = parts.any(|param| {
            let key = param.split('=').next().unwrap_or_default().trim();
            !key.is_empty() && key != "q"
        });
        Self {
            main: main.trim(),
            sub: sub.trim(),
            has_params,
        }
    }

    /// DRF's `_MediaType.precedence`: 0 for `*/*`, 1 for `type/*`, 2 for `type/sub`, 3 with
    /// parameters.
    fn precedence(&self) -> u8 {
        if self.main == "*" {
            0
        } else if self.sub == "*" {
            1
        } else if !self.has_params {
            2
        } else {
            3
        }
    }

    /// Whether a renderer of `media_type` (`type/sub`, no parameters) satisfies this one.
    fn admits(&self, media_type: &str) -> bool {
        let (main, sub) = media_type.split_once('/').unwrap_or((media_type, ""));
        (self.main == "*" || self.main == main) && (self.sub == "*" || self.sub == sub)
    }
}

/// An answer the CSV renderer rendered from a JSON body: djangorestframework-csv renders only
/// a body's `results`, so a body without them (an error, one person) keeps its status and
/// headers with an empty `text/csv` body. An answer already in CSV is left as it is.
pub fn csv_error(mut response: ApiResponse) -> ApiResponse {
    let csv = response
        .headers
        .iter()
        .any(|(name, value)| name == "content-type" && value == CSV_CONTENT_TYPE);
    if csv {
        return response;
    }
    response.body.clear();
    for (name, value) in &mut response.headers {
        if name == "content-type" {
            CSV_CONTENT_TYPE.clone_into(value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &[(&str, &str)], accept: Option<&str>) -> ApiRequest {
        ApiRequest {
            method: "GET".into(),
            path: "/api/projects/1/persons/funnel/".into(),
            query: query
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect(),
            headers: accept
                .map(|accept| vec![("accept".to_owned(), accept.to_owned())])
                .unwrap_or_default(),
            body: Vec::new(),
        }
    }

    fn negotiate(query: &[(&str, &str)], accept: Option<&str>) -> Result<Format, u16> {
        Format::negotiate(&request(query, accept), false).map_err(|error| error.status)
    }

    #[test]
    fn format_parameter_and_accept_pick_the_renderer_as_drf_does() {
        assert_eq!(negotiate(&[], None), Ok(Format::Json));
        assert_eq!(negotiate(&[("format", "csv")], None), Ok(Format::Csv));
        assert_eq!(negotiate(&[("format", "json")], None), Ok(Format::Json));
        assert_eq!(negotiate(&[("format", "")], None), Ok(Format::Json));
        assert_eq!(
            negotiate(&[("format", "csv"), ("format", "json")], None),
            Ok(Format::Json),
            "the last value counts"
        );
        assert_eq!(negotiate(&[("format", "xml")], None), Err(404));
        assert_eq!(negotiate(&[], Some("text/csv")), Ok(Format::Csv));
        assert_eq!(negotiate(&[], Some("text/*")), Ok(Format::Csv));
        assert_eq!(negotiate(&[], Some("*/*")), Ok(Format::Json));
        assert_eq!(
            negotiate(&[], Some("application/json, text/csv")),
            Ok(Format::Json),
            "equally specific: the renderers' order decides"
        );
        assert_eq!(
            negotiate(&[], Some("*/*;q=0.9, text/csv; charset=utf-8")),
            Ok(Format::Csv),
            "the most specific media type first, q ignored"
        );
        assert_eq!(negotiate(&[], Some("application/xml")), Err(406));
        assert_eq!(
            negotiate(&[("format", "csv")], Some("application/json")),
            Err(406),
            "the format keeps only the CSV renderer, which the Accept header refuses"
        );
        assert_eq!(
            Format::negotiate(&request(&[("format", "json")], None), true),
            Ok(Format::Csv),
            "the suffix wins over the parameter"
        );
    }

    #[test]
    fn errors_rendered_as_csv_keep_status_and_headers_without_body() {
        let error = PostHogError::not_authenticated().into_response();
        let csv = csv_error(error);
        assert_eq!(csv.status, 401);
        assert!(csv.body.is_empty());
        assert!(
            csv.headers
                .iter()
                .any(|(name, value)| name == "content-type" && value == CSV_CONTENT_TYPE)
        );
        assert!(
            csv.headers
                .iter()
                .any(|(name, _)| name == "www-authenticate")
        );
        let ok = ApiResponse::new(200, CSV_CONTENT_TYPE, "count\r\n0\r\n");
        assert_eq!(csv_error(ok).body, b"count\r\n0\r\n");
        let object = csv_error(ApiResponse::json(200, &serde_json::json!({"id": 1})));
        assert_eq!(object.status, 200);
        assert!(
            object.body.is_empty(),
            "one object has no results to render"
        );
    }

    #[test]
    fn json_only_viewsets_refuse_csv_as_drf_does() {
        let json = |query: &[(&str, &str)], accept| {
            Format::negotiate_json(&request(query, accept)).map_err(|error| error.status)
        };
        assert_eq!(json(&[], None), Ok(()));
        assert_eq!(json(&[("format", "json")], None), Ok(()));
        assert_eq!(json(&[("format", "csv")], None), Err(404));
        assert_eq!(json(&[], Some("text/csv")), Err(406));
        assert_eq!(json(&[], Some("text/csv, application/json;q=0.1")), Ok(()));
    }
}
