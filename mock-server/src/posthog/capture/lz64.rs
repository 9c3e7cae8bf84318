//! LZ-string's base64 form (`compressToBase64` of posthog-js, `compression=lz64|lz-string`),
//! decompressed with a cap on the output as PostHog's capture does: the format can expand
//! quadratically, so a small payload must not be able to exhaust memory.
//!
//! Every dictionary entry is a slice of the output written so far (an entry is the previous
//! output chunk plus the first unit of the next one, which follows it directly), so the
//! dictionary costs two integers per entry and no copies.

use std::ops::Range;

/// The alphabet of `compressToBase64`; `=` (padding) reads as 64, as in lz-string.
const ALPHABET: &[u8; 65] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
/// Each byte's value in [`ALPHABET`], or `u8::MAX` when it is not in it.
const VALUES: [u8; 256] = values();
/// Bits of one base64 character.
const BITS_PER_CHAR: u32 = 6;
/// Widest code the dictionary can need before the capped output stops it.
const MAX_CODE_BITS: u32 = 32;

const fn values() -> [u8; 256] {
    let mut table = [u8::MAX; 256];
    let mut value = 0;
    while value < ALPHABET.len() {
        table[ALPHABET[value] as usize] = value as u8;
        value += 1;
    }
    table
}

/// Why a payload did not decompress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lz64Error {
    /// Not LZ-string base64: a foreign character, a truncated stream, a dangling code.
    Invalid,
    /// The output would exceed the cap (in UTF-16 units).
    TooLarge,
}

/// The reader of the base64 text as a bit stream, lowest bit of each character first as
/// lz-string reads it (its "position" walks from 32 down, over a 6-bit value).
struct Bits<'a> {
    text: &'a [u8],
    index: usize,
    value: u32,
    position: u32,
}

impl<'a> Bits<'a> {
    fn new(text: &'a [u8]) -> Result<Self, Lz64Error> {
        let value = char_value(text, 0)?;
        Ok(Self {
            text,
            index: 1,
            value,
            position: 1 << (BITS_PER_CHAR - 1),
        })
    }

    /// Whether lz-string has read past the last character (its "index > length" check).
    fn exhausted(&self) -> bool {
        self.index > self.text.len()
    }

    /// The next `count` bits as a number, first bit lowest.
    fn read(&mut self, count: u32) -> Result<u32, Lz64Error> {
        let mut bits = 0u32;
        for shift in 0..count {
            if self.value & self.position != 0 {
                bits |= 1 << shift;
            }
            self.position >>= 1;
            if self.position == 0 {
                self.position = 1 << (BITS_PER_CHAR - 1);
                self.value = char_value(self.text, self.index)?;
                self.index = self.index.saturating_add(1);
            }
        }
        Ok(bits)
    }
}

/// The 6-bit value of character `index`; past the end lz-string reads 0.
fn char_value(text: &[u8], index: usize) -> Result<u32, Lz64Error> {
    let Some(byte) = text.get(index) else {
        return Ok(0);
    };
    match VALUES[usize::from(*byte)] {
        u8::MAX => Err(Lz64Error::Invalid),
        value => Ok(u32::from(value)),
    }
}

/// Decompresses LZ-string base64 `text` into UTF-16 units, refusing more than `cap` of them.
pub fn decompress(text: &str, cap: usize) -> Result<Vec<u16>, Lz64Error> {
    if text.is_empty() {
        return Err(Lz64Error::Invalid);
    }
    let mut bits = Bits::new(text.as_bytes())?;
    let mut output: Vec<u16> = Vec::new();
    let mut dictionary: Vec<Range<usize>> = Vec::new();
    let literal = |bits: &mut Bits<'_>, output: &mut Vec<u16>| -> Result<bool, Lz64Error> {
        let width = match bits.read(2)? {
            0 => 8,
            1 => 16,
            2 => return Ok(false),
            _ => return Err(Lz64Error::Invalid),
        };
        let unit = u16::try_from(bits.read(width)?).map_err(|_| Lz64Error::Invalid)?;
        push_within(output, cap, &[unit])?;
        Ok(true)
    };
    if !literal(&mut bits, &mut output)? {
        return Ok(output);
    }
    // Codes 0–2 are the literal and end markers; entries start at code 3.
    let mut previous = 0..1;
    dictionary.push(previous.clone());
    let mut code_bits = 3u32;
    let mut enlarge_in = 4u64;
    loop {
        if bits.exhausted() {
            return Err(Lz64Error::Invalid);
        }
        let code = bits.read(code_bits)?;
        let entry_start = output.len();
        let entry = match code {
            0 | 1 => {
                let width = if code == 0 { 8 } else { 16 };
                let unit = u16::try_from(bits.read(width)?).map_err(|_| Lz64Error::Invalid)?;
                push_within(&mut output, cap, &[unit])?;
                dictionary.push(entry_start..entry_start + 1);
                enlarge_in = enlarge_in.saturating_sub(1);
                entry_start..entry_start + 1
            }
            2 => return Ok(output),
            _ => {
                let index = usize::try_from(code - 3).map_err(|_| Lz64Error::Invalid)?;
                match dictionary.get(index).cloned() {
                    Some(known) => {
                        copy_within(&mut output, cap, known.clone())?;
                    }
                    None if index == dictionary.len() => {
                        copy_within(&mut output, cap, previous.clone())?;
                        let first = output
                            .get(previous.start)
                            .copied()
                            .ok_or(Lz64Error::Invalid)?;
                        push_within(&mut output, cap, &[first])?;
                    }
                    None => return Err(Lz64Error::Invalid),
                }
                entry_start..output.len()
            }
        };
        if enlarge_in == 0 {
            enlarge_in = 1 << code_bits;
            code_bits += 1;
        }
        // The previous chunk is directly followed by this entry's first unit.
        dictionary.push(previous.start..entry.start + 1);
        enlarge_in = enlarge_in.saturating_sub(1);
        previous = entry;
        if enlarge_in == 0 {
            enlarge_in = 1 << code_bits;
            code_bits += 1;
        }
        if code_bits > MAX_CODE_BITS {
            return Err(Lz64Error::Invalid);
        }
    }
}

/// Appends `units`, unless the output would pass `cap`.
fn push_within(output: &mut Vec<u16>, cap: usize, units: &[u16]) -> Result<(), Lz64Error> {
    if output.len().saturating_add(units.len()) > cap {
        return Err(Lz64Error::TooLarge);
    }
    output.extend_from_slice(units);
    Ok(())
}

/// Appends a copy of `output[range]`, unless the output would pass `cap`.
fn copy_within(output: &mut Vec<u16>, cap: usize, range: Range<usize>) -> Result<(), Lz64Error> {
    if output.len().saturating_add(range.len()) > cap {
        return Err(Lz64Error::TooLarge);
    }
    output.extend_from_within(range);
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn text(units: &[u16]) -> String {
        String::from_utf16(units).unwrap()
    }

    #[test]
    fn decompresses_lz_strings_own_examples() {
        for (packed, plain) in [
            ("IZA", "a"),
            ("IbI", "aa"),
            ("Aco", "ààà"),
            ("C4e1Q===", "toto"),
            (
                "MYUwBALgTghglgOzCAzhMADsATVFEz4D2CQA",
                "ce train est à destination",
            ),
        ] {
            assert_eq!(text(&decompress(packed, 1000).unwrap()), plain);
        }
    }

    #[test]
    fn refuses_foreign_characters_truncation_and_bombs() {
        assert_eq!(decompress("", 10), Err(Lz64Error::Invalid));
        assert_eq!(decompress("{\"a\":1}", 10), Err(Lz64Error::Invalid));
        let packed = lz_str::compress_to_base64(r#"[{"event":"e","distinct_id":"d"}]"#);
        assert_eq!(
            decompress(&packed[..packed.len() / 2], 1000),
            Err(Lz64Error::Invalid)
        );
        let bomb = lz_str::compress_to_base64(&"A".repeat(1024 * 1024));
        assert!(bomb.len() < 16 * 1024);
        assert_eq!(decompress(&bomb, 1024), Err(Lz64Error::TooLarge));
        assert_eq!(decompress(&bomb, 1024 * 1024).unwrap().len(), 1024 * 1024);
    }

    proptest! {
        #[test]
        fn agrees_with_lz_string(plain in "\\PC{0,300}", repeat in 1usize..4) {
            let plain = plain.repeat(repeat);
            let packed = lz_str::compress_to_base64(plain.as_str());
            let units: Vec<u16> = plain.encode_utf16().collect();
            prop_assert_eq!(decompress(&packed, units.len()), Ok(units.clone()));
            if !units.is_empty() {
                prop_assert_eq!(decompress(&packed, units.len() - 1), Err(Lz64Error::TooLarge));
            }
        }
    }
}
