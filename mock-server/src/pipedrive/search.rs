//! The person search: the searched texts of every person, an index of their distinct
//! lower-cased words (each word's 1-, 2- and 3-grams → word ids, so a fragment found anywhere in
//! a word is one posting look-up or an intersection of trigram postings, not a scan of the
//! company), and the scoring of the hits.

use std::collections::{BTreeSet, HashMap};

use roaring::RoaringBitmap;

use super::counters::Sign;
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

/// The texts searched per person and field, and an index of the words in them.
#[derive(Clone, Debug, Default)]
pub struct SearchIndex {
    /// Per person and field, its texts.
    texts: HashMap<(Id, SearchField), Texts>,
    /// The distinct words of all texts.
    words: Words,
}

impl SearchIndex {
    /// Makes `person`'s `field` hold exactly `texts`, in their order.
    pub fn set<'a>(
        &mut self,
        person: Id,
        field: SearchField,
        texts: impl IntoIterator<Item = &'a str>,
    ) {
        self.sync(person, field, (0..).zip(texts));
    }

    /// Makes `person`'s `field` hold exactly `texts`, each under its key; only texts that
    /// changed are re-indexed.
    pub fn sync<'a>(
        &mut self,
        person: Id,
        field: SearchField,
        texts: impl IntoIterator<Item = (Id, &'a str)>,
    ) {
        let mut kept = Vec::new();
        for (key, text) in texts {
            self.put(person, field, key, Some(text));
            kept.push(key);
        }
        kept.sort_unstable();
        let stale: Vec<Id> = self
            .texts
            .get(&(person, field))
            .into_iter()
            .flatten()
            .map(|(key, _)| *key)
            .filter(|key| kept.binary_search(key).is_err())
            .collect();
        for key in stale {
            self.put(person, field, key, None);
        }
    }

    /// Sets (`Some`) or removes (`None`) the text under `key` in `person`'s `field`, leaving
    /// its other texts alone.
    pub fn put(&mut self, person: Id, field: SearchField, key: Id, text: Option<&str>) {
        let slot = (person, field);
        let texts = self.texts.entry(slot).or_default();
        let (at, old) = match texts.binary_search_by_key(&key, |(key, _)| *key) {
            Ok(at) if Some(&*texts[at].1) == text => return,
            Ok(at) => (at, Some(texts.remove(at).1)),
            Err(at) => (at, None),
        };
        if let Some(old) = old {
            self.words.count_text(&old, field, person, Sign::Remove);
        }
        if let Some(text) = text {
            self.words.count_text(text, field, person, Sign::Add);
            texts.insert(at, (key, text.into()));
        }
        if texts.is_empty() {
            self.texts.remove(&slot);
        }
    }

    /// Forgets everything indexed for `person`.
    pub fn remove(&mut self, person: Id) {
        for field in SearchField::ALL {
            self.sync(person, field, []);
        }
    }

    /// The texts indexed for `person`'s `field`, in key order.
    pub fn texts(&self, person: Id, field: SearchField) -> impl Iterator<Item = &str> {
        self.texts
            .get(&(person, field))
            .into_iter()
            .flatten()
            .map(|(_, text)| &**text)
    }

    /// Frees the index part by part, calling `dropped` after each (see
    /// `Company::dismantle`).
    #[cfg(feature = "internals")]
    pub fn dismantle(self, dropped: &mut dyn FnMut(&'static str)) {
        let Self { texts, words } = self;
        drop(texts);
        dropped("search: texts per person and field");
        let Words {
            ids,
            entries,
            free,
            grams,
        } = words;
        drop(grams);
        dropped("search: n-gram bitmaps");
        drop(entries);
        dropped("search: words and their holders");
        drop((ids, free));
        dropped("search: word ids");
    }

    /// Persons with a word containing `fragment` (lower-cased) in any field.
    pub fn candidates(&self, fragment: &str) -> BTreeSet<Id> {
        self.words
            .containing(&fragment.to_lowercase())
            .iter()
            .flat_map(|id| self.words.holders(id))
            .collect()
    }
}

/// One person's texts in one field, by key (positions, or note ids for notes).
type Texts = Vec<(Id, Box<str>)>;

/// The distinct words of the indexed texts, who holds each, and their n-grams. A word is
/// freed (its id reused) when no text holds it any more.
#[derive(Clone, Debug, Default)]
struct Words {
    /// Word → its id.
    ids: HashMap<Box<str>, u32>,
    /// By word id: the word and its holders (both empty once freed).
    entries: Vec<Word>,
    /// Ids of freed words, reused first.
    free: Vec<u32>,
    /// Every 1-, 2- and 3-gram of a word (packed by [`pack`]) → the ids of the words with it.
    grams: HashMap<u64, RoaringBitmap>,
}

/// One distinct word.
#[derive(Clone, Debug, Default)]
struct Word {
    /// The word, lower-cased.
    text: Box<str>,
    /// `(person, how many of its texts hold the word)`, by person.
    holders: Vec<(Id, u32)>,
}

impl Words {
    /// Counts every word of `text` in `person`'s `field` in or out.
    fn count_text(&mut self, text: &str, field: SearchField, person: Id, sign: Sign) {
        each_word(text, field, |word| match sign {
            Sign::Add => self.add(word, person),
            Sign::Remove => self.remove(word, person),
        });
    }

    /// Counts one more text of `person` holding `word`.
    fn add(&mut self, word: &str, person: Id) {
        let id = self.intern(word);
        let holders = &mut self.entries[id as usize].holders;
        match holders.binary_search_by_key(&person, |(holder, _)| *holder) {
            Ok(at) => holders[at].1 = holders[at].1.saturating_add(1),
            Err(at) => holders.insert(at, (person, 1)),
        }
    }

    /// Counts one text of `person` holding `word` out, freeing the word when none is left.
    fn remove(&mut self, word: &str, person: Id) {
        let Some(&id) = self.ids.get(word) else {
            return;
        };
        let holders = &mut self.entries[id as usize].holders;
        if let Ok(at) = holders.binary_search_by_key(&person, |(holder, _)| *holder) {
            holders[at].1 -= 1;
            if holders[at].1 == 0 {
                holders.remove(at);
            }
        }
        if holders.is_empty() {
            self.free_word(id);
        }
    }

    /// The id of `word`, indexed under its n-grams when new.
    fn intern(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        let id = self.free.pop().unwrap_or_else(|| {
            self.entries.push(Word::default());
            u32::try_from(self.entries.len() - 1).expect("fewer than 2^32 distinct words")
        });
        for gram in grams(word) {
            self.grams.entry(gram).or_default().insert(id);
        }
        self.entries[id as usize].text = word.into();
        self.ids.insert(word.into(), id);
        id
    }

    /// Forgets word `id` (no text holds it any more) and keeps its id for reuse.
    fn free_word(&mut self, id: u32) {
        let word = std::mem::take(&mut self.entries[id as usize]);
        for gram in grams(&word.text) {
            if let Some(ids) = self.grams.get_mut(&gram) {
                ids.remove(id);
                if ids.is_empty() {
                    self.grams.remove(&gram);
                }
            }
        }
        self.ids.remove(&word.text);
        self.free.push(id);
    }

    /// Ids of the words containing `fragment` (already lower-cased).
    fn containing(&self, fragment: &str) -> RoaringBitmap {
        let chars: Vec<char> = fragment.chars().collect();
        if chars.is_empty() {
            return self.ids.values().copied().collect();
        }
        if chars.len() <= 3 {
            return self.grams.get(&pack(&chars)).cloned().unwrap_or_default();
        }
        let Some(mut postings) = chars
            .windows(3)
            .map(|gram| self.grams.get(&pack(gram)))
            .collect::<Option<Vec<_>>>()
        else {
            return RoaringBitmap::new();
        };
        postings.sort_by_key(|ids| ids.len());
        let mut ids = postings[0].clone();
        for other in &postings[1..] {
            ids &= *other;
        }
        ids.iter()
            .filter(|&id| self.entries[id as usize].text.contains(fragment))
            .collect()
    }

    /// The persons holding word `id`.
    fn holders(&self, id: u32) -> impl Iterator<Item = Id> + '_ {
        self.entries[id as usize]
            .holders
            .iter()
            .map(|(person, _)| *person)
    }
}

/// Calls `visit` with every lower-cased word of `text` (for phones, its digits too).
fn each_word(text: &str, field: SearchField, mut visit: impl FnMut(&str)) {
    text.to_lowercase().split_whitespace().for_each(&mut visit);
    if field == SearchField::Phone {
        let digits = digits(text);
        if !digits.is_empty() {
            visit(&digits);
        }
    }
}

/// Every 1-, 2- and 3-gram of `word`, packed (repeats included), read in one pass with no
/// copy of the word: a long word costs no memory beyond the grams it adds to the index.
fn grams(word: &str) -> impl Iterator<Item = u64> + '_ {
    let mut before: [Option<char>; 2] = [None, None];
    word.chars().flat_map(move |char| {
        let [first, second] = before;
        before = [second, Some(char)];
        [
            Some(pack(&[char])),
            second.map(|second| pack(&[second, char])),
            first
                .zip(second)
                .map(|(first, second)| pack(&[first, second, char])),
        ]
        .into_iter()
        .flatten()
    })
}

/// Up to three chars as one key: 21 bits each (the char + 1, so lengths differ).
fn pack(chars: &[char]) -> u64 {
    chars
        .iter()
        .fold(0, |key, &char| key << 21 | (u64::from(char) + 1))
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

/// The longest whitespace-separated part of `term`, what candidates are looked up by.
pub fn lookup_fragment(term: &str) -> String {
    term.split_whitespace()
        .max_by_key(|part| part.chars().count())
        .unwrap_or("")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// One write to the index.
    #[derive(Clone, Debug)]
    enum Op {
        Set(Id, SearchField, Vec<String>),
        Put(Id, SearchField, Id, Option<String>),
        Remove(Id),
    }

    /// What the index should hold: texts by person and field, by key.
    type Model = BTreeMap<(Id, SearchField), BTreeMap<Id, String>>;

    fn apply(index: &mut SearchIndex, model: &mut Model, op: Op) {
        match op {
            Op::Set(person, field, texts) => {
                index.set(person, field, texts.iter().map(String::as_str));
                model.insert((person, field), (0..).zip(texts).collect());
            }
            Op::Put(person, field, key, text) => {
                index.put(person, field, key, text.as_deref());
                let texts = model.entry((person, field)).or_default();
                match text {
                    Some(text) => texts.insert(key, text),
                    None => texts.remove(&key),
                };
            }
            Op::Remove(person) => {
                index.remove(person);
                model.retain(|(holder, _), _| *holder != person);
            }
        }
    }

    /// The persons a full scan finds: a lower-cased word (or, for phones, the digits) of one
    /// of their texts contains the lower-cased fragment.
    fn scan(model: &Model, fragment: &str) -> BTreeSet<Id> {
        let fragment = fragment.to_lowercase();
        let found = |text: &String, field: SearchField| {
            let lower = text.to_lowercase();
            let digits = (field == SearchField::Phone).then(|| digits(text));
            lower
                .split_whitespace()
                .chain(digits.as_deref())
                .any(|word| !word.is_empty() && word.contains(&fragment))
        };
        model
            .iter()
            .filter(|((_, field), texts)| texts.values().any(|text| found(text, *field)))
            .map(|((person, _), _)| *person)
            .collect()
    }

    fn field() -> impl Strategy<Value = SearchField> {
        proptest::sample::select(SearchField::ALL.to_vec())
    }

    /// Short texts over a small alphabet, so words repeat and share n-grams: upper and lower
    /// case, letters whose lower case is longer or depends on context, and phone numbers
    /// with punctuation.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[abcAäÄΣσİ12+() -]{0,12}",
            r"\+?[12]{1,3}[ ()-]{0,2}[12]{1,4}"
        ]
    }

    /// Fragments to look up: short ones over the texts' alphabet (and `i̇`, the lower case
    /// of `İ`), and runs of digits, which phones also match on.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof!["[abcäΣσςİi̇12+( -]{0,5}", "[12]{2,5}"]
    }

    fn op() -> impl Strategy<Value = Op> {
        let person = 1..4u64;
        prop_oneof![
            (person.clone(), field(), prop::collection::vec(text(), 0..3))
                .prop_map(|(person, field, texts)| Op::Set(person, field, texts)),
            (person.clone(), field(), 0..4u64, prop::option::of(text()))
                .prop_map(|(person, field, key, text)| Op::Put(person, field, key, text)),
            person.prop_map(Op::Remove),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn candidates_and_texts_equal_a_full_scan(
            ops in prop::collection::vec(op(), 1..40),
            fragments in prop::collection::vec(fragment(), 8),
        ) {
            let mut index = SearchIndex::default();
            let mut model = Model::new();
            for op in ops {
                apply(&mut index, &mut model, op);
                model.retain(|_, texts| !texts.is_empty());
                for fragment in &fragments {
                    prop_assert_eq!(index.candidates(fragment), scan(&model, fragment));
                }
                for person in 1..4 {
                    for field in SearchField::ALL {
                        let expected: Vec<&str> = model
                            .get(&(person, field))
                            .into_iter()
                            .flat_map(BTreeMap::values)
                            .map(String::as_str)
                            .collect();
                        prop_assert_eq!(index.texts(person, field).collect::<Vec<_>>(), expected);
                    }
                }
            }
            for person in 1..4 {
                index.remove(person);
            }
            prop_assert!(index.texts.is_empty() && index.words.ids.is_empty());
            prop_assert!(index.words.grams.is_empty());
            prop_assert_eq!(index.words.free.len(), index.words.entries.len());
        }
    }

    #[test]
    fn finds_fragments_anywhere_in_words_and_forgets_replaced_texts() {
        let mut index = SearchIndex::default();
        index.set(1, SearchField::Name, ["Will Smith"]);
        index.set(2, SearchField::Email, ["smithy@acme.com"]);
        assert_eq!(index.candidates("mit"), BTreeSet::from([1, 2]));
        assert_eq!(index.candidates("ACME"), BTreeSet::from([2]));
        index.set(1, SearchField::Name, ["Will Jones"]);
        assert_eq!(index.candidates("smith"), BTreeSet::from([2]));
        index.remove(2);
        assert!(index.candidates("smith").is_empty());
        assert_eq!(index.texts(2, SearchField::Email).count(), 0);
    }

    #[test]
    fn phones_match_on_digits() {
        let mut index = SearchIndex::default();
        index.set(1, SearchField::Phone, ["+372 555-0101"]);
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
