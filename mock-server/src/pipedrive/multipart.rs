//! A small `multipart/form-data` reader (RFC 7578) for the picture upload: the body is
//! already in memory and the handler is synchronous, so a streaming parser would not fit.

/// One part of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The form field name (`name=` of `Content-Disposition`).
    pub name: String,
    /// The file name, for file parts.
    pub file_name: Option<String>,
    /// The part's `Content-Type`, if it has one.
    pub content_type: Option<String>,
    /// The part's bytes.
    pub body: Vec<u8>,
}

impl Part {
    /// The body as text (for plain fields); `None` when it is not UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }
}

/// The boundary of a `multipart/form-data` content type; `None` for any other type.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let essence = params.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|boundary| !boundary.is_empty() && boundary.len() <= 200)
}

/// The parts of `body` delimited by `boundary`; `None` when the body is not well formed.
pub fn parse(boundary: &str, body: &[u8]) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut rest = after(body, &delimiter)?;
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let end = find(rest, b"\r\n\r\n")?;
        let (head, tail) = rest.split_at(end);
        let tail = tail.get(4..)?;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let body_end = find(tail, &closing)?;
        parts.push(part(head, tail.get(..body_end)?)?);
        rest = tail.get(body_end.checked_add(closing.len())?..)?;
    }
}

/// One part from its header block and body.
fn part(head: &[u8], body: &[u8]) -> Option<Part> {
    let head = std::str::from_utf8(head).ok()?;
    let mut name = None;
    let mut file_name = None;
    let mut content_type = None;
    for line in head.split("\r\n") {
        let (header, value) = line.split_once(':')?;
        if header.trim().eq_ignore_ascii_case("content-disposition") {
            for param in value.split(';').skip(1) {
                let Some((key, raw)) = param.split_once('=') else {
                    continue;
                };
                let raw = raw.trim().trim_matches('"').to_owned();
                match key.trim().to_ascii_lowercase().as_str() {
                    "name" => name = Some(raw),
                    "filename" => file_name = Some(raw),
                    _ => {}
                }
            }
        } else if header.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned());
        }
    }
    Some(Part {
        name: name?,
        file_name,
        content_type,
        body: body.to_vec(),
    })
}

/// What follows the first occurrence of `needle` in `haystack`.
fn after<'a>(haystack: &'a [u8], needle: &[u8]) -> Option<&'a [u8]> {
    let at = find(haystack, needle)?;
    haystack.get(at.checked_add(needle.len())?..)
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &[u8] = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"crop_x\"\r\n\r\n10\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--X\r\n--XyZ--\r\n";

    #[test]
    fn reads_fields_and_files() {
        let boundary = boundary("multipart/form-data; boundary=\"XyZ\"").unwrap();
        let parts = parse(&boundary, FORM).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].text()),
            ("crop_x", Some("10"))
        );
        assert_eq!(parts[1].file_name.as_deref(), Some("me.png"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[1].body, b"\x89PNG\r\n--X");
    }

    #[test]
    fn rejects_other_types_and_broken_bodies() {
        assert_eq!(boundary("application/json"), None);
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(parse("XyZ", b"no delimiter"), None);
        assert_eq!(
            parse(
                "XyZ",
                b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--"
            ),
            None
        );
        assert_eq!(parse("XyZ", &FORM[..FORM.len() - 12]), None);
        assert_eq!(parse("XyZ", "--XyZ\r\nnaïve\r\n\r\n".as_bytes()), None);
    }
}
