//! The person search: an index of word suffixes (so a term found anywhere in a value is a
//! prefix-range look-up, not a scan of the company), and the scoring of the hits.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::model::Id;

/// The fields a search can look into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SearchField {
    /// The person's name.
    Name,
    /// E-mail addresses.
    Email,
    /// Phone numbers (matched on digits too).
    Phone,
    /// Contents of the notes attached to the person.
    Notes,
    /// Values of searchable custom fields.
    CustomFields,
}

impl SearchField {
    /// Every field, the default of `fields`.
    pub const ALL: [SearchField; 5] = [
        SearchField::Name,
        SearchField::Email,
        SearchField::Phone,
        SearchField::Notes,
        SearchField::CustomFields,
    ];

    /// Parses a name of the `fields` parameter.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "name" => Self::Name,
            "email" => Self::Email,
            "phone" => Self::Phone,
            "notes" => Self::Notes,
            "custom_fields" => Self::CustomFields,
            _ => return None,
        })
    }

    /// How much a hit in this field weighs against hits in others.
    fn weight(self) -> f64 {
        match self {
            Self::Name => 1.0,
            Self::Email | Self::Phone => 0.9,
            Self::CustomFields => 0.8,
            Self::Notes => 0.7,
        }
    }
}

/// Suffixes of every indexed word → how many indexed texts of each person contain them.
#[derive(Clone, Debug, Default)]
pub struct SearchIndex {
    suffixes: BTreeMap<String, BTreeMap<Id, u32>>,
    texts: HashMap<(Id, SearchField), Vec<String>>,
}

impl SearchIndex {
    /// Replaces what is indexed for `person`'s `field` with `texts`.
    pub fn set(&mut self, person: Id, field: SearchField, texts: Vec<String>) {
        let old = self.texts.remove(&(person, field)).unwrap_or_default();
        for text in &old {
            for suffix in suffixes(text, field) {
                if let Some(counts) = self.suffixes.get_mut(&suffix) {
                    if let Some(count) = counts.get_mut(&person) {
                        *count = count.saturating_sub(1);
                        if *count == 0 {
                            counts.remove(&person);
                        }
                    }
                    if counts.is_empty() {
                        self.suffixes.remove(&suffix);
                    }
                }
            }
        }
        for text in &texts {
            for suffix in suffixes(text, field) {
                let count = self
                    .suffixes
                    .entry(suffix)
                    .or_default()
                    .entry(person)
                    .or_default();
                *count = count.saturating_add(1);
            }
        }
        if !texts.is_empty() {
            self.texts.insert((person, field), texts);
        }
    }

    /// Forgets everything indexed for `person`.
    pub fn remove(&mut self, person: Id) {
        for field in SearchField::ALL {
            self.set(person, field, Vec::new());
        }
    }

    /// The texts indexed for `person`'s `field`.
    pub fn texts(&self, person: Id, field: SearchField) -> &[String] {
        self.texts.get(&(person, field)).map_or(&[], Vec::as_slice)
    }

    /// Persons with a word containing `fragment` (lower-cased) in any field.
    pub fn candidates(&self, fragment: &str) -> BTreeSet<Id> {
        let fragment = fragment.to_lowercase();
        self.suffixes
            .range(fragment.clone()..)
            .take_while(|(suffix, _)| suffix.starts_with(&fragment))
            .flat_map(|(_, persons)| persons.keys().copied())
            .collect()
    }
}

/// The score of `text` against `term` (both compared lower-case): 1 for the whole value,
/// 0.75 for a prefix, 0.6 for the start of a word, 0.4 elsewhere; `None` when absent (or,
/// with `exact`, when not the whole value). Phone numbers also match on digits alone.
pub fn score(text: &str, term: &str, field: SearchField, exact: bool) -> Option<f64> {
    let text_lower = text.to_lowercase();
    let term_lower = term.to_lowercase();
    let base = if text_lower == term_lower {
        1.0
    } else if exact {
        return digits_match(text, term, field, true).then_some(field.weight());
    } else if text_lower.starts_with(&term_lower) {
        0.75
    } else if text_lower
        .match_indices(&term_lower)
        .any(|(at, _)| at == 0 || !text_lower[..at].ends_with(char::is_alphanumeric))
    {
        0.6
    } else if text_lower.contains(&term_lower) || digits_match(text, term, field, false) {
        0.4
    } else {
        return None;
    };
    Some(base * field.weight())
}

fn digits_match(text: &str, term: &str, field: SearchField, exact: bool) -> bool {
    if field != SearchField::Phone {
        return false;
    }
    let (text, term) = (digits(text), digits(term));
    !term.is_empty()
        && if exact {
            text == term
        } else {
            text.contains(&term)
        }
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Lower-cased suffixes of every word of `text` (for phones, of its digits too).
fn suffixes(text: &str, field: SearchField) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut words: Vec<String> = lower.split_whitespace().map(str::to_owned).collect();
    if field == SearchField::Phone {
        words.push(digits(text));
    }
    let mut out = BTreeSet::new();
    for word in words {
        for (at, _) in word.char_indices() {
            out.insert(word[at..].to_owned());
        }
    }
    out.into_iter().collect()
}

/// The longest whitespace-separated part of `term`, what candidates are looked up by.
pub fn lookup_fragment(term: &str) -> String {
    term.split_whitespace()
        .max_by_key(|part| part.chars().count())
        .unwrap_or("")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_fragments_anywhere_in_words_and_forgets_replaced_texts() {
        let mut index = SearchIndex::default();
        index.set(1, SearchField::Name, vec!["Will Smith".into()]);
        index.set(2, SearchField::Email, vec!["smithy@acme.com".into()]);
        assert_eq!(index.candidates("mit"), BTreeSet::from([1, 2]));
        assert_eq!(index.candidates("ACME"), BTreeSet::from([2]));
        index.set(1, SearchField::Name, vec!["Will Jones".into()]);
        assert_eq!(index.candidates("smith"), BTreeSet::from([2]));
        index.remove(2);
        assert!(index.candidates("smith").is_empty());
        assert!(index.texts(2, SearchField::Email).is_empty());
    }

    #[test]
    fn phones_match_on_digits() {
        let mut index = SearchIndex::default();
        index.set(1, SearchField::Phone, vec!["+372 555-0101".into()]);
        assert_eq!(index.candidates("5550101"), BTreeSet::from([1]));
        assert!(score("+372 555-0101", "5550101", SearchField::Phone, false).is_some());
    }

    #[test]
    fn scores_rank_whole_values_over_prefixes_over_substrings() {
        let whole = score("Will Smith", "will smith", SearchField::Name, false).unwrap();
        let prefix = score("Will Smith", "wil", SearchField::Name, false).unwrap();
        let word = score("Will Smith", "smi", SearchField::Name, false).unwrap();
        let inner = score("Will Smith", "mit", SearchField::Name, false).unwrap();
        assert!(whole > prefix && prefix > word && word > inner);
        assert_eq!(score("Will Smith", "smith", SearchField::Name, true), None);
        assert!(score("Will Smith", "WILL SMITH", SearchField::Name, true).is_some());
    }
}
