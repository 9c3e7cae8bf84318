//! `search` on the persons list: the matcher (a case-insensitive SQL `ILIKE '%…%'` over e-mail,
//! name, UUID and distinct ids) and the trigram index that finds its candidates without looking
//! at every person.
//!
//! The index maps every trigram (three case-folded characters) of every searched text to the
//! persons holding it. A person matching a search holds every trigram of the search's literal
//! runs (the text between its `%` and `_` wildcards), so intersecting those posting lists gives
//! a superset of the matches, which the matcher then checks one by one. A search without a
//! literal run of three characters has no trigram: the list walks the persons instead.

use std::sync::OnceLock;

use super::properties::Prop;
use regex::{Regex, RegexBuilder};
use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};
use roaring::RoaringBitmap;
use rustc_hash::FxHashMap;
use uuid::Uuid;

use super::person::Person;
use super::store::PersonIndex;

/// The properties `search` looks at (besides the UUID and the distinct ids).
pub const SEARCHED_PROPERTIES: [&str; 2] = ["email", "name"];

/// From this many persons on, [`SearchIndex::of_live`] builds the index on two threads.
pub const PARALLEL_FROM: usize = 4_096;

/// Three case-folded characters, 21 bits each.
pub type Trigram = u64;

/// `search`: a case-insensitive SQL `ILIKE '%…%'` (so `%` and `_` are wildcards) over email,
/// name, UUID and distinct ids. A pattern too big to compile matches nothing.
///
/// A search for a short ASCII text without wildcards (a distinct id, an e-mail) checks ASCII
/// texts directly, ignoring ASCII case, and compiles its regex only for a text that is not
/// ASCII: the same answer (an ASCII character's case-fold orbit holds non-ASCII members, such
/// as the Kelvin sign for `k`, but an ASCII text holds none of them), without building a regex
/// on every request.
#[derive(Clone, Debug)]
pub struct Search {
    /// The regex the text stands for, compiled at once, or on first need for an ASCII literal;
    /// `None` when it is too big to compile.
    regex: OnceLock<Option<Regex>>,
    pattern: String,
    /// The text in ASCII lower case, when it is an ASCII literal of at most
    /// [`MAX_ASCII_LITERAL`] bytes (which always compiles).
    ascii_literal: Option<Box<[u8]>>,
    /// Every trigram of the literal runs, sorted and deduplicated.
    trigrams: Vec<Trigram>,
}

/// The longest ASCII literal a search matches without its regex.
const MAX_ASCII_LITERAL: usize = 256;

impl Search {
    /// The matcher for `text` (already trimmed); `None` for an empty search.
    pub fn new(text: &str) -> Option<Self> {
        if text.is_empty() {
            return None;
        }
        let pattern: String = text
            .chars()
            .map(|c| match c {
                '%' => ".*".to_owned(),
                '_' => ".".to_owned(),
                other => regex::escape(&other.to_string()),
            })
            .collect();
        let ascii_literal =
            (text.is_ascii() && text.len() <= MAX_ASCII_LITERAL && !text.contains(['%', '_']))
                .then(|| text.to_ascii_lowercase().into_bytes().into_boxed_slice());
        let regex = OnceLock::new();
        if ascii_literal.is_none() {
            regex.get_or_init(|| compile(&pattern));
        }
        let mut trigrams: Vec<Trigram> = text.split(['%', '_']).flat_map(text_trigrams).collect();
        trigrams.sort_unstable();
        trigrams.dedup();
        Some(Search {
            regex,
            pattern,
            ascii_literal,
            trigrams,
        })
    }

    /// Whether `person` matches.
    pub fn matches(&self, person: &Person) -> bool {
        if !self.compiles() {
            return false;
        }
        searched_properties(person).any(|text| self.is_match(text))
            || self.is_match(
                person
                    .uuid
                    .hyphenated()
                    .encode_lower(&mut Uuid::encode_buffer()),
            )
            || person.stored_distinct_ids().any(|id| self.is_match(id))
    }

    /// Whether `text` holds a match.
    fn is_match(&self, text: &str) -> bool {
        match &self.ascii_literal {
            Some(literal) if text.is_ascii() => text
                .as_bytes()
                .windows(literal.len())
                .any(|window| window.eq_ignore_ascii_case(literal)),
            _ => self.regex().is_some_and(|regex| regex.is_match(text)),
        }
    }

    /// Whether the pattern compiles (it matches nothing otherwise).
    fn compiles(&self) -> bool {
        self.ascii_literal.is_some() || self.regex().is_some()
    }

    /// The compiled regex, `None` when too big to compile.
    fn regex(&self) -> Option<&Regex> {
        self.regex.get_or_init(|| compile(&self.pattern)).as_ref()
    }
}

/// The case-insensitive regex of `pattern`, `None` when too big to compile.
fn compile(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .dot_matches_new_line(true)
        .build()
        .ok()
}

/// Trigram → the persons whose searched texts hold it. A mock's data comes from its own
/// tests, not from an adversary, so the map uses a fast unkeyed hash.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchIndex {
    postings: FxHashMap<Trigram, RoaringBitmap>,
}

impl SearchIndex {
    /// Records that person `index` holds `trigrams` (holding one twice is harmless).
    pub fn add(&mut self, index: PersonIndex, trigrams: impl IntoIterator<Item = Trigram>) {
        let slot = slot(index);
        for trigram in trigrams {
            self.postings.entry(trigram).or_default().insert(slot);
        }
    }

    /// The index of `persons` (each with its trigrams, as [`person_trigrams`] gives them), in
    /// ascending index order: each posting is appended to, never searched.
    pub fn of_persons(persons: impl IntoIterator<Item = (PersonIndex, Vec<Trigram>)>) -> Self {
        let mut index = Self::default();
        for (person, trigrams) in persons {
            let slot = slot(person);
            for trigram in trigrams {
                let persons = index.postings.entry(trigram).or_default();
                if !persons.push(slot) {
                    persons.insert(slot);
                }
            }
        }
        index
    }

    /// The index of `persons` (ascending by index), as [`SearchIndex::of_persons`] builds it
    /// from their [`person_trigrams`]; from [`PARALLEL_FROM`] persons on, each half on its
    /// own thread.
    pub fn of_live(persons: &[(PersonIndex, &Person)]) -> Self {
        let of = |persons: &[(PersonIndex, &Person)]| {
            Self::of_persons(
                persons
                    .iter()
                    .map(|(index, person)| (*index, person_trigrams(person))),
            )
        };
        if persons.len() < PARALLEL_FROM {
            return of(persons);
        }
        let (first, second) = persons.split_at(persons.len() / 2);
        std::thread::scope(|scope| {
            let second = scope.spawn(|| of(second));
            let mut index = of(first);
            let second = second
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (trigram, persons) in second.postings {
                *index.postings.entry(trigram).or_default() |= persons;
            }
            index
        })
    }

    /// Records that person `index` no longer holds `trigrams`.
    pub fn remove(&mut self, index: PersonIndex, trigrams: impl IntoIterator<Item = Trigram>) {
        let slot = slot(index);
        for trigram in trigrams {
            if let Some(persons) = self.postings.get_mut(&trigram) {
                persons.remove(slot);
                if persons.is_empty() {
                    self.postings.remove(&trigram);
                }
            }
        }
    }

    /// Moves person `index` from holding `before` to holding `after` (both sorted, as
    /// [`person_trigrams`] gives them), touching only the trigrams that differ.
    pub fn replace(&mut self, index: PersonIndex, before: &[Trigram], after: &[Trigram]) {
        let gone = before
            .iter()
            .filter(|trigram| after.binary_search(trigram).is_err());
        self.remove(index, gone.copied());
        let new = after
            .iter()
            .filter(|trigram| before.binary_search(trigram).is_err());
        self.add(index, new.copied());
    }

    /// The persons that may match `search` (every actual match among them), or `None` when
    /// the search has no trigram to look up.
    pub fn candidates(&self, search: &Search) -> Option<RoaringBitmap> {
        if !search.compiles() {
            return Some(RoaringBitmap::new());
        }
        let mut postings = Vec::with_capacity(search.trigrams.len());
        for trigram in &search.trigrams {
            match self.postings.get(trigram) {
                Some(persons) => postings.push(persons),
                None => return Some(RoaringBitmap::new()),
            }
        }
        postings.sort_by_key(|persons| persons.len());
        let (smallest, rest) = postings.split_first()?;
        let mut candidates = (*smallest).clone();
        for persons in rest {
            if candidates.is_empty() {
                break;
            }
            candidates &= *persons;
        }
        Some(candidates)
    }
}

/// Every trigram of the texts `search` looks at in `person`, sorted and deduplicated.
pub fn person_trigrams(person: &Person) -> Vec<Trigram> {
    trigrams_with(person, searched_properties(person))
}

/// [`person_trigrams`] with `searched` standing in for `person`'s e-mail and name.
pub fn trigrams_with<'a>(
    person: &'a Person,
    searched: impl Iterator<Item = &'a str>,
) -> Vec<Trigram> {
    let mut uuid = Uuid::encode_buffer();
    let uuid = person.uuid.hyphenated().encode_lower(&mut uuid);
    // Room for a typical person's (e-mail, name, two distinct ids, UUID), so it rarely grows.
    let mut trigrams: Vec<Trigram> = Vec::with_capacity(128);
    trigrams.extend(
        searched
            .chain(person.stored_distinct_ids())
            .flat_map(text_trigrams)
            .chain(text_trigrams(uuid)),
    );
    trigrams.sort_unstable();
    trigrams.dedup();
    trigrams
}

/// `person`'s e-mail and name as `search` sees them (the string ones, in a fixed order).
pub fn searched_texts(person: &Person) -> Vec<String> {
    searched_properties(person).map(str::to_owned).collect()
}

/// The string values of `person`'s [`SEARCHED_PROPERTIES`].
fn searched_properties(person: &Person) -> impl Iterator<Item = &str> {
    SEARCHED_PROPERTIES
        .iter()
        .filter_map(|key| match person.properties.get(key) {
            Some(Prop::Str(text)) => Some(&**text),
            _ => None,
        })
}

/// The trigrams of `text`, in order (repeats included).
pub fn text_trigrams(text: &str) -> impl Iterator<Item = Trigram> + '_ {
    let mut window: Trigram = 0;
    text.chars().enumerate().filter_map(move |(n, c)| {
        window = ((window << 21) | Trigram::from(fold(c))) & ((1 << 63) - 1);
        (n >= 2).then_some(window)
    })
}

/// The person index as a posting-list entry. A project holds far fewer than 2³² persons (each
/// takes hundreds of bytes), so the conversion cannot fail in practice.
fn slot(index: PersonIndex) -> u32 {
    u32::try_from(index).expect("a project holds fewer than 2^32 persons")
}

/// `c` case-folded as the matcher compares it: every character of one simple case-folding
/// orbit (`k`, `K` and the Kelvin sign `K`, say) gives the same code point — its ASCII
/// lower-case when the orbit has an ASCII letter, else the smallest of the orbit.
fn fold(c: char) -> u32 {
    if c.is_ascii() {
        return u32::from(c.to_ascii_lowercase());
    }
    let mut orbit = ClassUnicode::new([ClassUnicodeRange::new(c, c)]);
    orbit.case_fold_simple();
    let members = orbit.iter().flat_map(|range| range.start()..=range.end());
    let mut smallest = u32::from(c);
    for member in members {
        if member.is_ascii() {
            return u32::from(member.to_ascii_lowercase());
        }
        smallest = smallest.min(u32::from(member));
    }
    smallest
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn person(email: &str, distinct_ids: &[&str]) -> Person {
        crate::posthog::person::tests::person(serde_json::json!({ "email": email }), distinct_ids)
    }

    #[test]
    fn search_is_an_ilike_substring() {
        let matcher = |text: &str| Search::new(text).unwrap();
        assert!(matcher("EX%le").is_match("an example"));
        assert!(matcher("a_c").is_match("xabcx"));
        assert!(matcher("User-1").is_match("a-uSER-12"));
        assert!(
            matcher("k").is_match("\u{212A}"),
            "a text that is not ASCII: the regex"
        );
        assert!(!matcher("k").is_match("x"));
        assert!(Search::new("").is_none());
        let huge = Search::new(&"%_".repeat(200_000)).unwrap();
        assert!(!huge.compiles(), "too big to compile: matches nothing");
    }

    #[test]
    fn case_folding_orbits_share_a_code_point() {
        assert_eq!(fold('K'), fold('k'));
        assert_eq!(fold('\u{212A}'), fold('k'), "the Kelvin sign folds with k");
        assert_eq!(fold('\u{17F}'), fold('s'), "the long s folds with s");
        assert_eq!(fold('Ä'), fold('ä'));
        assert_ne!(fold('a'), fold('b'));
    }

    #[test]
    fn only_literal_runs_of_three_give_trigrams() {
        assert!(Search::new("ab%cd_ef").unwrap().trigrams.is_empty());
        assert_eq!(Search::new("xABCx").unwrap().trigrams.len(), 3);
        assert_eq!(text_trigrams("abcd").count(), 2);
    }

    #[test]
    fn candidates_narrow_to_persons_holding_every_trigram() {
        let mut index = SearchIndex::default();
        let ada = person("ada@example.com", &["anon-1"]);
        let alan = person("alan@example.com", &["user-2"]);
        index.add(0, person_trigrams(&ada));
        index.add(1, person_trigrams(&alan));
        let found = |index: &SearchIndex, text: &str| {
            index
                .candidates(&Search::new(text).unwrap())
                .map(|persons| persons.iter().collect::<Vec<_>>())
        };
        assert_eq!(found(&index, "ADA@"), Some(vec![0]));
        assert_eq!(found(&index, "example"), Some(vec![0, 1]));
        assert_eq!(found(&index, "USER-2"), Some(vec![1]));
        assert_eq!(found(&index, "zzz"), Some(vec![]));
        assert_eq!(found(&index, "ad"), None, "too short for a trigram");
        index.replace(1, &person_trigrams(&alan), &person_trigrams(&ada));
        assert_eq!(found(&index, "user"), Some(vec![]));
        assert_eq!(found(&index, "ada@"), Some(vec![0, 1]));
        index.remove(0, person_trigrams(&ada));
        index.remove(1, person_trigrams(&ada));
        assert_eq!(
            index,
            SearchIndex::default(),
            "empty posting lists are dropped"
        );
    }

    #[test]
    fn built_on_two_threads_the_index_is_the_same() {
        // Some trigrams every person holds (more than an array container keeps, in neither
        // half alone), some a few, some one.
        let persons: Vec<Person> = (0..PARALLEL_FROM + 1_000)
            .map(|n| {
                person(
                    &format!("p{n}.x{}@example.com", n % 7),
                    &[&format!("id-{n}")],
                )
            })
            .collect();
        let live: Vec<(PersonIndex, &Person)> = persons.iter().enumerate().collect();
        let one_by_one = SearchIndex::of_persons(
            live.iter()
                .map(|(index, person)| (*index, person_trigrams(person))),
        );
        assert_eq!(SearchIndex::of_live(&live), one_by_one);
        assert_eq!(
            SearchIndex::of_live(&live[..10]),
            SearchIndex::of_persons(live[..10].iter().map(|(i, p)| (*i, person_trigrams(p))))
        );
    }

    /// `text[start..start + len]` (in characters, clamped) with the case of some characters
    /// swapped (ASCII, or to the Kelvin sign and the long s) and some replaced by a wildcard: a
    /// search `text` matches.
    fn search_within(text: &str, start: usize, len: usize, edits: &[u8]) -> String {
        let chars: Vec<char> = text.chars().collect();
        let start = start.min(chars.len());
        let end = (start + len).min(chars.len());
        chars[start..end]
            .iter()
            .zip(edits.iter().cycle())
            .map(|(c, edit)| match (edit, c) {
                (0, _) => c.to_ascii_uppercase(),
                (1, _) => c.to_ascii_lowercase(),
                (2, _) => '_',
                (3, _) => '%',
                (4, 'k' | 'K') => '\u{212A}',
                (4, 's' | 'S') => '\u{17F}',
                _ => *c,
            })
            .collect()
    }

    proptest! {
        /// An ASCII literal's direct test answers as its regex does, on texts holding the
        /// non-ASCII members of ASCII letters' case-fold orbits.
        #[test]
        fn an_ascii_literal_matches_as_its_regex(
            literal in "[a-zA-Z0-9@.-]{1,4}",
            text in "[a-zA-Z0-9@.\u{212A}\u{17F}ßİı-]{0,12}",
        ) {
            let search = Search::new(&literal).unwrap();
            prop_assert!(search.ascii_literal.is_some());
            let regex = compile(&regex::escape(&literal)).unwrap();
            prop_assert_eq!(search.is_match(&text), regex.is_match(&text), "{} in {}", literal, text);
        }

        /// Whenever the matcher accepts a person, the index offers it as a candidate.
        #[test]
        fn every_match_is_a_candidate(
            email in "[a-zA-Z\u{212A}\u{17F}ßÄäİı@._%]{0,16}",
            distinct_id in "[a-zA-Z0-9\u{212A}-]{0,12}",
            in_email: bool,
            start in 0usize..16,
            len in 1usize..8,
            edits in prop::collection::vec(0u8..12, 1..8),
        ) {
            let person = person(&email, &[&distinct_id]);
            let mut index = SearchIndex::default();
            index.add(7, person_trigrams(&person));
            let source = if in_email { &email } else { &distinct_id };
            let text = search_within(source, start, len, &edits);
            let Some(search) = Search::new(&text) else {
                return Ok(());
            };
            prop_assert!(search.matches(&person), "{text:?} is within {source:?}");
            let candidates = index.candidates(&search);
            prop_assert!(candidates.is_none_or(|found| found.contains(7)), "{text:?}");
        }
    }
}
