//! What the picture upload needs to know about an image: its format (GIF, JPEG or PNG, from
//! its signature) and its size in pixels (from its header). No pixel is decoded.

/// The image formats Pipedrive accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// GIF87a / GIF89a.
    Gif,
    /// JPEG (baseline or progressive).
    Jpeg,
    /// PNG.
    Png,
}

/// An image's format and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dimensions {
    /// The format.
    pub format: Format,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The format and size of `bytes`; `None` when it is not a readable GIF, JPEG or PNG.
pub fn sniff(bytes: &[u8]) -> Option<Dimensions> {
    if bytes.starts_with(PNG_SIGNATURE) && bytes.get(12..16) == Some(b"IHDR") {
        return Some(Dimensions {
            format: Format::Png,
            width: be32(bytes, 16)?,
            height: be32(bytes, 20)?,
        });
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some(Dimensions {
            format: Format::Gif,
            width: u32::from(le16(bytes, 6)?),
            height: u32::from(le16(bytes, 8)?),
        });
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        return jpeg(bytes);
    }
    None
}

/// Walks the JPEG segments up to the first start-of-frame marker.
fn jpeg(bytes: &[u8]) -> Option<Dimensions> {
    let mut at = 2usize;
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(at.checked_add(1)?)?;
        match marker {
            0xFF => at = at.checked_add(1)?,
            0x01 | 0xD0..=0xD7 => at = at.checked_add(2)?,
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                return Some(Dimensions {
                    format: Format::Jpeg,
                    height: u32::from(be16(bytes, at.checked_add(5)?)?),
                    width: u32::from(be16(bytes, at.checked_add(7)?)?),
                });
            }
            0xD9 | 0xDA => return None,
            _ => {
                let length = usize::from(be16(bytes, at.checked_add(2)?)?);
                at = at.checked_add(2)?.checked_add(length)?;
            }
        }
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let pair = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*pair.first()?, *pair.get(1)?]))
}

fn le16(bytes: &[u8], at: usize) -> Option<u16> {
    be16(bytes, at).map(u16::swap_bytes)
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let quad: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(quad))
}

/// The header of a `width`×`height` PNG (signature and IHDR chunk): enough for the mock to
/// take a picture upload (`POST /persons/{id}/picture`) as an image of that size.
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = PNG_SIGNATURE.to_vec();
    bytes.extend_from_slice(&13u32.to_be_bytes());
    bytes.extend_from_slice(b"IHDR");
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_format() {
        assert_eq!(
            sniff(&png_header(300, 200)),
            Some(Dimensions {
                format: Format::Png,
                width: 300,
                height: 200
            })
        );
        let gif = b"GIF89a\x80\x00\x81\x00\x00";
        assert_eq!(
            sniff(gif).map(|d| (d.format, d.width, d.height)),
            Some((Format::Gif, 128, 129))
        );
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01,
            0x00, 0x02, 0x00,
        ];
        assert_eq!(
            sniff(&jpeg).map(|d| (d.format, d.width, d.height)),
            Some((Format::Jpeg, 512, 256))
        );
    }

    #[test]
    fn refuses_other_and_truncated_files() {
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(&png_header(1, 1)[..18]), None);
        assert_eq!(sniff(b"GIF89a\x01"), None);
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF]), None);
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xDA]), None);
    }
}
