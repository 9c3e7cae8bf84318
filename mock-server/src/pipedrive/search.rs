//! The person search: an index of the distinct lower-cased words of every person's searched
//! texts (each word's 1-, 2- and 3-grams → word ids, so a fragment found anywhere in a word is
//! one posting look-up or an intersection of trigram postings, not a scan of the company), and
//! the scoring of the hits. The texts themselves stay in the records: the company counts a
//! text in when it starts being searched and out when it stops.
//!
//! A word is a run of letters and digits: `ada.lovelace@acme.com` holds `ada`, `lovelace`,
//! `acme` and `com`, words many persons share, so the index keeps few distinct words. A
//! fragment is looked up by its rarest run of letters and digits, which gives a superset of
//! the persons whose text contains it; scoring the candidates' texts decides.

use std::collections::BTreeSet;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use roaring::RoaringBitmap;
use rustc_hash::{FxBuildHasher, FxHashMap};

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

/// The distinct words of the searched texts, who holds each, and their n-grams.
#[derive(Clone, Debug, Default)]
pub struct SearchIndex {
    words: Words,
}

impl SearchIndex {
    /// Counts `text`, one of `person`'s texts in `field`, in (`Add`, it is now searched) or
    /// out (`Remove`, it no longer is); a text is counted out exactly as it was counted in.
    pub fn count(&mut self, person: Id, field: SearchField, text: &str, sign: Sign) {
        self.words.count_text(text, field, person, sign);
    }

    /// Frees the index part by part, calling `dropped` after each (see
    /// `Company::dismantle`).
    #[cfg(feature = "internals")]
    pub fn dismantle(self, dropped: &mut dyn FnMut(&'static str)) {
        let Words {
            ids,
            entries,
            free,
            grams,
        } = self.words;
        drop(grams);
        dropped("search: n-gram bitmaps");
        drop(entries);
        dropped("search: words and their holders");
        drop((ids, free));
        dropped("search: word ids");
    }

    /// Every word with its holders and their counts, by word (what two indexes of the same
    /// texts agree on, whatever order they were counted in).
    #[cfg(test)]
    pub fn held_words(&self) -> std::collections::BTreeMap<&str, Vec<(Id, u32)>> {
        self.words
            .entries
            .iter()
            .filter(|word| word.holders.len() > 0)
            .map(|word| (&*word.text, word.holders.counted()))
            .collect()
    }

    /// A superset of the persons with a text containing `fragment` (compared lower-cased):
    /// the holders of the words containing its rarest run of letters and digits. `None` when
    /// the fragment has no such run (every person is a candidate).
    pub fn candidates(&self, fragment: &str) -> Option<BTreeSet<Id>> {
        let fragment = fragment.to_lowercase();
        let rarest = words(&fragment)
            .map(|piece| self.words.containing(piece))
            .min_by_key(|ids| {
                ids.iter()
                    .map(|id| self.words.holders(id).len())
                    .sum::<usize>()
            })?;
        let mut persons = BTreeSet::new();
        for id in &rarest {
            self.words.holders(id).for_each(|person| {
                persons.insert(person);
            });
        }
        Some(persons)
    }
}

/// The distinct words of the indexed texts, who holds each, and their n-grams. A word is
/// freed (its id reused) when no text holds it any more.
#[derive(Clone, Debug, Default)]
struct Words {
    /// The word ids, found by the hash of their word ([`hash`]); the word itself is kept once,
    /// in `entries` (most words are one person's: an e-mail's or a phone's number).
    ids: HashTable<u32>,
    /// By word id: the word and its holders (both empty once freed).
    entries: WordTable,
    /// Ids of freed words, reused first.
    free: Vec<u32>,
    /// Every 1-, 2- and 3-gram of a word (packed by [`pack`]) → the ids of the words with it.
    grams: FxHashMap<u64, Posting>,
}

/// One distinct word.
#[derive(Clone, Debug, Default)]
struct Word {
    /// The word, lower-cased.
    text: Box<str>,
    /// Who holds it.
    holders: Holders,
}

/// Who holds a word, with how many of their texts hold it: a word of one person (most
/// words) in the word itself, a shared word's holders in bitmaps (a few bits or bytes per
/// holder, not 16: a shared word such as `synthetic` or a first name is held by a large
/// share of the persons).
#[derive(Clone, Debug, Default)]
enum Holders {
    /// No holder.
    #[default]
    None,
    /// Exactly one holder, with how many of its texts hold the word.
    One(Id, u32),
    /// More than one.
    Many(Box<Shared>),
}

/// The holders of a word held by more than one person, as nested sets: `levels[k]` holds the
/// persons with more than `k` texts holding the word (so `levels[0]` is every holder), ids
/// from 2³² on (which Pipedrive's never reach) with their counts in `large`.
#[derive(Clone, Debug, Default)]
struct Shared {
    levels: Vec<RoaringBitmap>,
    large: Vec<(Id, u32)>,
}

impl Shared {
    /// Counts one more text of `person`.
    fn add(&mut self, person: Id, times: u32) {
        let Ok(small) = u32::try_from(person) else {
            match self
                .large
                .binary_search_by_key(&person, |(holder, _)| *holder)
            {
                Ok(at) => self.large[at].1 = self.large[at].1.saturating_add(times),
                Err(at) => self.large.insert(at, (person, times)),
            }
            return;
        };
        let mut left = times;
        for level in &mut self.levels {
            if left == 0 {
                return;
            }
            if level.insert(small) {
                left -= 1;
            }
        }
        for _ in 0..left {
            self.levels.push(RoaringBitmap::from_iter([small]));
        }
    }

    /// Counts one text of `person` out.
    fn remove(&mut self, person: Id) {
        let Ok(small) = u32::try_from(person) else {
            if let Ok(at) = self
                .large
                .binary_search_by_key(&person, |(holder, _)| *holder)
            {
                self.large[at].1 -= 1;
                if self.large[at].1 == 0 {
                    self.large.remove(at);
                }
            }
            return;
        };
        if let Some(top) = self.levels.iter().rposition(|level| level.contains(small)) {
            self.levels[top].remove(small);
            if self.levels[top].is_empty() {
                self.levels.truncate(top);
            }
        }
    }

    /// How many persons hold the word.
    fn len(&self) -> usize {
        let small = self.levels.first().map_or(0, RoaringBitmap::len);
        usize::try_from(small).unwrap_or(usize::MAX) + self.large.len()
    }

    /// The only holder, with its count, when one is left.
    fn single(&self) -> Option<(Id, u32)> {
        match (self.len(), self.large.first()) {
            (1, Some(&only)) => Some(only),
            (1, None) => {
                let person = self.levels[0].min()?;
                Some((Id::from(person), self.levels.len() as u32))
            }
            _ => None,
        }
    }
}

impl Holders {
    /// How many persons hold the word.
    fn len(&self) -> usize {
        match self {
            Self::None => 0,
            Self::One(..) => 1,
            Self::Many(shared) => shared.len(),
        }
    }

    /// Calls `visit` with every holder.
    fn for_each(&self, mut visit: impl FnMut(Id)) {
        match self {
            Self::None => {}
            Self::One(person, _) => visit(*person),
            Self::Many(shared) => {
                if let Some(holders) = shared.levels.first() {
                    holders.iter().for_each(|person| visit(Id::from(person)));
                }
                shared.large.iter().for_each(|(person, _)| visit(*person));
            }
        }
    }

    /// Every holder with how many of its texts hold the word, by person.
    #[cfg(test)]
    fn counted(&self) -> Vec<(Id, u32)> {
        let mut counted = Vec::new();
        self.for_each(|person| counted.push((person, 0)));
        for (person, count) in &mut counted {
            *count = match self {
                Self::None => 0,
                Self::One(_, count) => *count,
                Self::Many(shared) => match u32::try_from(*person) {
                    Ok(small) => shared
                        .levels
                        .iter()
                        .take_while(|level| level.contains(small))
                        .count() as u32,
                    Err(_) => shared
                        .large
                        .iter()
                        .find(|(holder, _)| holder == person)
                        .map_or(0, |(_, count)| *count),
                },
            };
        }
        counted.sort_unstable();
        counted
    }

    /// Counts one more text of `person`.
    fn add(&mut self, person: Id) {
        match self {
            Self::None => *self = Self::One(person, 1),
            Self::One(holder, count) if *holder == person => *count = count.saturating_add(1),
            Self::One(holder, count) => {
                let mut shared = Shared::default();
                shared.add(*holder, *count);
                shared.add(person, 1);
                *self = Self::Many(Box::new(shared));
            }
            Self::Many(shared) => shared.add(person, 1),
        }
    }

    /// Counts one text of `person` out.
    fn remove(&mut self, person: Id) {
        match self {
            Self::None => {}
            Self::One(holder, count) if *holder == person => {
                *count -= 1;
                if *count == 0 {
                    *self = Self::None;
                }
            }
            Self::One(..) => {}
            Self::Many(shared) => {
                shared.remove(person);
                if let Some((person, count)) = shared.single() {
                    *self = Self::One(person, count);
                } else if shared.len() == 0 {
                    *self = Self::None;
                }
            }
        }
    }
}

/// Words by id, in chunks of [`WordTable::CHUNK`], so the table has no spare half of a doubled
/// vector (most of its words are one person's, a few per person).
#[derive(Clone, Debug, Default)]
struct WordTable {
    chunks: Vec<Vec<Word>>,
}

impl WordTable {
    /// Words per chunk (a power of two).
    const CHUNK: usize = 4096;

    fn len(&self) -> usize {
        self.chunks
            .last()
            .map_or(0, |last| (self.chunks.len() - 1) * Self::CHUNK + last.len())
    }

    /// Adds an empty word; answers its id.
    fn push(&mut self) -> u32 {
        let id = u32::try_from(self.len()).expect("fewer than 2^32 distinct words");
        match self.chunks.last_mut() {
            Some(last) if last.len() < Self::CHUNK => last.push(Word::default()),
            _ => {
                let mut chunk = Vec::with_capacity(Self::CHUNK);
                chunk.push(Word::default());
                self.chunks.push(chunk);
            }
        }
        id
    }

    #[cfg(test)]
    fn iter(&self) -> impl Iterator<Item = &Word> {
        self.chunks.iter().flatten()
    }
}

impl std::ops::Index<u32> for WordTable {
    type Output = Word;

    fn index(&self, id: u32) -> &Word {
        let id = id as usize;
        &self.chunks[id / Self::CHUNK][id % Self::CHUNK]
    }
}

impl std::ops::IndexMut<u32> for WordTable {
    fn index_mut(&mut self, id: u32) -> &mut Word {
        let id = id as usize;
        &mut self.chunks[id / Self::CHUNK][id % Self::CHUNK]
    }
}

/// The ids of the words with one n-gram: a bitmap, and the ids added since it last took them
/// in, which it takes in together, at its end when they are above its ids (they mostly are:
/// ids are issued in increasing order), rather than each with a search of its containers.
#[derive(Clone, Debug, Default)]
struct Posting {
    set: RoaringBitmap,
    recent: Vec<u32>,
}

impl Posting {
    /// How many ids wait in `recent` at most.
    const RECENT: usize = 32;

    fn add(&mut self, id: u32) {
        self.recent.push(id);
        if self.recent.len() == Self::RECENT {
            self.recent.sort_unstable();
            self.recent.dedup();
            let recent = std::mem::take(&mut self.recent);
            if self.set.append(recent.iter().copied()).is_err() {
                self.set.extend(recent.iter().copied());
            }
            self.recent = recent;
            self.recent.clear();
        }
    }

    fn remove(&mut self, id: u32) {
        self.set.remove(id);
        self.recent.retain(|&other| other != id);
    }

    fn is_empty(&self) -> bool {
        self.set.is_empty() && self.recent.is_empty()
    }

    fn contains(&self, id: u32) -> bool {
        self.set.contains(id) || self.recent.contains(&id)
    }

    /// Every id, as one bitmap.
    fn ids(&self) -> RoaringBitmap {
        let mut ids = self.set.clone();
        ids.extend(self.recent.iter().copied());
        ids
    }

    /// How many ids it holds, about (an id may wait in `recent` twice).
    fn len(&self) -> u64 {
        self.set.len() + self.recent.len() as u64
    }
}

/// The hash `Words::ids` finds a word by.
fn hash(word: &str) -> u64 {
    FxBuildHasher.hash_one(word)
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
        self.entries[id].holders.add(person);
    }

    /// The id of `word`, if it is indexed.
    fn id(&self, word: &str) -> Option<u32> {
        self.ids
            .find(hash(word), |&id| &*self.entries[id].text == word)
            .copied()
    }

    /// Counts one text of `person` holding `word` out, freeing the word when none is left.
    fn remove(&mut self, word: &str, person: Id) {
        let Some(id) = self.id(word) else {
            return;
        };
        let holders = &mut self.entries[id].holders;
        holders.remove(person);
        if holders.len() == 0 {
            self.free_word(id);
        }
    }

    /// The id of `word`, indexed under its n-grams when new.
    fn intern(&mut self, word: &str) -> u32 {
        if let Some(id) = self.id(word) {
            return id;
        }
        let id = self.free.pop().unwrap_or_else(|| self.entries.push());
        each_gram(word, |gram| self.grams.entry(gram).or_default().add(id));
        self.entries[id].text = word.into();
        let entries = &self.entries;
        self.ids
            .insert_unique(hash(word), id, |&id| hash(&entries[id].text));
        id
    }

    /// Forgets word `id` (no text holds it any more) and keeps its id for reuse.
    fn free_word(&mut self, id: u32) {
        let word = std::mem::take(&mut self.entries[id]);
        each_gram(&word.text, |gram| {
            if let Some(ids) = self.grams.get_mut(&gram) {
                ids.remove(id);
                if ids.is_empty() {
                    self.grams.remove(&gram);
                }
            }
        });
        if let Ok(entry) = self.ids.find_entry(hash(&word.text), |&other| other == id) {
            entry.remove();
        }
        self.free.push(id);
    }

    /// Ids of the words containing `fragment` (already lower-cased).
    fn containing(&self, fragment: &str) -> RoaringBitmap {
        let chars: Vec<char> = fragment.chars().collect();
        if chars.len() <= 3 {
            return self
                .grams
                .get(&pack(&chars))
                .map(Posting::ids)
                .unwrap_or_default();
        }
        let Some(mut postings) = chars
            .windows(3)
            .map(|gram| self.grams.get(&pack(gram)))
            .collect::<Option<Vec<_>>>()
        else {
            return RoaringBitmap::new();
        };
        postings.sort_by_key(|ids| ids.len());
        let mut ids = postings[0].set.clone();
        for other in &postings[1..] {
            ids &= &other.set;
        }
        for &id in postings.iter().flat_map(|posting| &posting.recent) {
            if postings.iter().all(|posting| posting.contains(id)) {
                ids.insert(id);
            }
        }
        ids.iter()
            .filter(|&id| self.entries[id].text.contains(fragment))
            .collect()
    }

    /// The holders of word `id`, with how many of their texts hold it.
    fn holders(&self, id: u32) -> &Holders {
        &self.entries[id].holders
    }
}

/// Calls `visit` with every lower-cased word of `text` (for phones, its digits too).
fn each_word(text: &str, field: SearchField, mut visit: impl FnMut(&str)) {
    if text.is_ascii() {
        // An ASCII text lower-cases byte by byte and keeps its word breaks: only its words
        // with capitals are copied, into one buffer.
        let mut lower = String::new();
        for word in words(text) {
            if word.bytes().any(|byte| byte.is_ascii_uppercase()) {
                lower.clear();
                lower.push_str(word);
                lower.make_ascii_lowercase();
                visit(&lower);
            } else {
                visit(word);
            }
        }
    } else {
        words(&text.to_lowercase()).for_each(&mut visit);
    }
    if field == SearchField::Phone {
        let digits = digits(text);
        if !digits.is_empty() {
            visit(&digits);
        }
    }
}

/// The runs of letters and digits of `text`.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|char: char| !char.is_alphanumeric())
        .filter(|word| !word.is_empty())
}

/// Calls `visit` with every 1-, 2- and 3-gram of `word`, packed (repeats included), read in
/// one pass with no copy of the word: a long word costs no memory beyond the grams it adds to
/// the index.
fn each_gram(word: &str, mut visit: impl FnMut(u64)) {
    let (mut one, mut two) = (0, 0);
    for (at, char) in word.chars().enumerate() {
        let char = u64::from(char) + 1;
        visit(char);
        if at >= 1 {
            visit(one << 21 | char);
        }
        if at >= 2 {
            visit(two << 21 | char);
        }
        two = one << 21 | char;
        one = char;
    }
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// One write to the index: a text counted in, or the `n`-th counted text (modulo how many
    /// there are) counted out.
    #[derive(Clone, Debug)]
    enum Op {
        Add(Id, SearchField, String),
        Remove(usize),
    }

    /// The texts counted in and not out.
    type Model = Vec<(Id, SearchField, String)>;

    fn apply(index: &mut SearchIndex, model: &mut Model, op: Op) {
        match op {
            Op::Add(person, field, text) => {
                index.count(person, field, &text, Sign::Add);
                model.push((person, field, text));
            }
            Op::Remove(n) if !model.is_empty() => {
                let (person, field, text) = model.remove(n % model.len());
                index.count(person, field, &text, Sign::Remove);
            }
            Op::Remove(_) => {}
        }
    }

    /// The persons a search must consider: a text containing the fragment (both lower-cased),
    /// or, for an all-digit fragment, a phone whose digits contain it.
    fn matches(model: &Model, fragment: &str) -> BTreeSet<Id> {
        let lower = fragment.to_lowercase();
        let all_digits = !fragment.is_empty() && fragment.chars().all(|c| c.is_ascii_digit());
        model
            .iter()
            .filter(|(_, field, text)| {
                text.to_lowercase().contains(&lower)
                    || all_digits && *field == SearchField::Phone && digits(text).contains(fragment)
            })
            .map(|(person, _, _)| *person)
            .collect()
    }

    /// The persons holding a word (a run of letters and digits, or a phone's digits) that
    /// contains `word`.
    fn holding(model: &Model, word: &str) -> BTreeSet<Id> {
        model
            .iter()
            .filter(|(_, field, text)| {
                let lower = text.to_lowercase();
                let digits = (*field == SearchField::Phone).then(|| digits(text));
                words(&lower)
                    .chain(digits.as_deref().filter(|digits| !digits.is_empty()))
                    .any(|held| held.contains(word))
            })
            .map(|(person, _, _)| *person)
            .collect()
    }

    fn field() -> impl Strategy<Value = SearchField> {
        proptest::sample::select(SearchField::ALL.to_vec())
    }

    /// Short texts over a small alphabet, so words repeat and share n-grams: upper and lower
    /// case, letters whose lower case is longer or depends on context, punctuation, and phone
    /// numbers.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[abcAäÄΣσİ12+().@ -]{0,12}",
            r"\+?[12]{1,3}[ ()-]{0,2}[12]{1,4}"
        ]
    }

    /// Fragments to look up: short ones over the texts' alphabet (and `i̇`, the lower case
    /// of `İ`), and runs of digits, which phones also match on.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof!["[abcäΣσςİi̇12+(.@ -]{0,5}", "[12]{2,5}"]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            2 => (1..4u64, field(), text()).prop_map(|(person, field, text)| Op::Add(person, field, text)),
            1 => any::<usize>().prop_map(Op::Remove),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// An ASCII text (lower-cased word by word, only where it has capitals) splits into
        /// the words of its lower case.
        #[test]
        fn ascii_texts_split_into_their_lower_cased_words(text in "[A-Za-z0-9 .@+()-]{0,20}") {
            let mut split = Vec::new();
            each_word(&text, SearchField::Name, |word| split.push(word.to_owned()));
            let lower = text.to_lowercase();
            prop_assert_eq!(split, words(&lower).map(str::to_owned).collect::<Vec<_>>());
        }

        /// Candidates hold every person with a matching text, and for a fragment that is one
        /// word, exactly the holders of a word containing it; counting every text out
        /// empties the index.
        #[test]
        fn candidates_cover_every_match_and_counting_out_empties_the_index(
            ops in prop::collection::vec(op(), 1..40),
            fragments in prop::collection::vec(fragment(), 8),
        ) {
            let mut index = SearchIndex::default();
            let mut model = Model::new();
            for op in ops {
                apply(&mut index, &mut model, op);
                for fragment in &fragments {
                    let lower = fragment.to_lowercase();
                    let found = index.candidates(fragment);
                    if let Some(found) = &found {
                        prop_assert!(found.is_superset(&matches(&model, fragment)));
                    }
                    if words(&lower).eq([lower.as_str()]) {
                        prop_assert_eq!(found, Some(holding(&model, &lower)));
                    }
                }
            }
            while !model.is_empty() {
                apply(&mut index, &mut model, Op::Remove(0));
            }
            prop_assert!(index.words.ids.is_empty() && index.words.grams.is_empty());
            prop_assert_eq!(index.words.free.len(), index.words.entries.len());
        }
    }

    #[test]
    fn finds_fragments_anywhere_in_words_and_forgets_texts_counted_out() {
        let mut index = SearchIndex::default();
        index.count(1, SearchField::Name, "Will Smith", Sign::Add);
        index.count(2, SearchField::Email, "smithy@acme.com", Sign::Add);
        assert_eq!(index.candidates("mit"), Some(BTreeSet::from([1, 2])));
        assert_eq!(index.candidates("ACME"), Some(BTreeSet::from([2])));
        assert_eq!(index.candidates("y@acme.c"), Some(BTreeSet::from([2])));
        assert_eq!(
            index.candidates("@."),
            None,
            "no letters or digits: everyone"
        );
        index.count(1, SearchField::Name, "Will Smith", Sign::Remove);
        index.count(1, SearchField::Name, "Will Jones", Sign::Add);
        assert_eq!(index.candidates("smith"), Some(BTreeSet::from([2])));
        index.count(2, SearchField::Email, "smithy@acme.com", Sign::Remove);
        assert_eq!(index.candidates("smith"), Some(BTreeSet::new()));
    }

    /// Past the ids a posting keeps waiting, and with freed ids reused below its highest one,
    /// a fragment still finds exactly the words holding it.
    #[test]
    fn postings_take_in_waiting_and_reused_ids() {
        let mut index = SearchIndex::default();
        let word = |n: u64| format!("q{n}z");
        for person in 1..=200 {
            index.count(person, SearchField::Name, &word(person), Sign::Add);
        }
        for person in (1..=200).filter(|person| person % 3 == 0) {
            index.count(person, SearchField::Name, &word(person), Sign::Remove);
        }
        for person in 201..=260 {
            index.count(person, SearchField::Name, &word(person), Sign::Add);
        }
        let expected: BTreeSet<Id> = (1..=260)
            .filter(|person| person % 3 != 0 || *person > 200)
            .collect();
        assert_eq!(index.candidates("z"), Some(expected.clone()));
        assert_eq!(index.candidates("qz"), Some(BTreeSet::new()));
        assert_eq!(
            index.candidates("7z"),
            Some(
                expected
                    .iter()
                    .copied()
                    .filter(|person| person % 10 == 7)
                    .collect()
            )
        );
        assert_eq!(
            index.candidates("q25"),
            Some(std::iter::once(25).chain(250..=259).collect())
        );
        assert_eq!(index.candidates("q25z"), Some(BTreeSet::from([25])));
        assert_eq!(index.candidates("q258z"), Some(BTreeSet::from([258])));
        assert_eq!(index.candidates("q255z"), Some(BTreeSet::from([255])));
    }

    /// Holders counted in and out, with ids past 2³² beside small ones: each holder with its
    /// count, as a plain model counts them.
    #[test]
    fn holders_count_small_and_large_ids() {
        let large = 1 << 40;
        let ops: [(Id, bool); 14] = [
            (5, true),
            (large, true),
            (5, true),
            (large + 1, true),
            (large, true),
            (7, true),
            (5, false),
            (large, false),
            (7, false),
            (large + 1, false),
            (5, true),
            (5, true),
            (large, false),
            (5, false),
        ];
        let mut holders = Holders::default();
        let mut model = std::collections::BTreeMap::<Id, u32>::new();
        for (person, add) in ops {
            if add {
                holders.add(person);
                *model.entry(person).or_default() += 1;
            } else {
                holders.remove(person);
                let count = model.get_mut(&person).expect("counted in before");
                *count -= 1;
                if *count == 0 {
                    model.remove(&person);
                }
            }
            let expected: Vec<(Id, u32)> = model
                .iter()
                .map(|(person, count)| (*person, *count))
                .collect();
            assert_eq!(holders.counted(), expected);
            assert_eq!(holders.len(), model.len());
            assert_eq!(matches!(holders, Holders::One(..)), model.len() == 1);
        }
    }

    #[test]
    fn phones_match_on_digits() {
        let mut index = SearchIndex::default();
        index.count(1, SearchField::Phone, "+372 555-0101", Sign::Add);
        assert_eq!(index.candidates("5550101"), Some(BTreeSet::from([1])));
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
