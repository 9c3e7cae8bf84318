//! The persons of one project and every index over them: distinct id, UUID and numeric id
//! (hash maps), the newest-first order (`(created_at, uuid)`), the property-value index
//! ([`super::values`]), the `search` trigram index ([`super::search`]) and each person's kept
//! list rendering ([`super::rendered`]). Every change goes through a method here that keeps all
//! of them in step (a person changes only through [`Slots::get_mut`], which drops their kept
//! rendering); [`PersonStore::check`] rebuilds the indexes from the persons and compares.

use std::collections::BTreeSet;

use roaring::RoaringBitmap;
use rustc_hash::FxHashMap;
use uuid::Uuid;

use super::log::SharedStr;
use super::person::Person;
use super::properties::{Interner, Prop, Properties};
use super::rendered::Rendered;
use super::search::{
    SEARCHED_PROPERTIES, Search, SearchIndex, Trigram, person_trigrams, searched_texts,
    text_trigrams, trigrams_with,
};
use super::values::ValueIndex;
pub use super::values::{PersonIndex, ValueBucket, value_text};

/// Persons and their indexes.
#[derive(Clone, Debug, Default)]
pub struct PersonStore {
    persons: Slots,
    live: usize,
    by_distinct_id: FxHashMap<String, PersonIndex>,
    by_uuid: FxHashMap<Uuid, PersonIndex>,
    by_pk: FxHashMap<i64, PersonIndex>,
    /// `(created_at, uuid, index)` of every live person, ascending; lists walk it backwards.
    order: BTreeSet<(i64, Uuid, PersonIndex)>,
    /// Property key → value text → persons.
    values: ValueIndex,
    /// Trigrams of e-mail, name, UUID and distinct ids → persons.
    search: SearchIndex,
    /// Whether `search` waits for [`PersonStore::resume_search`] to be rebuilt (a bulk load)
    /// rather than follow every change.
    search_deferred: bool,
    next_row_id: u64,
    /// The texts of the persons' properties.
    texts: Interner,
    /// The distinct ids whose owner changed since [`PersonStore::take_moved`] last took them.
    moved: Vec<String>,
}

/// The persons by index (`None` once removed), each with their kept list rendering: a person
/// changed through [`get_mut`](Self::get_mut) or taken loses it.
#[derive(Clone, Debug, Default)]
struct Slots {
    persons: Vec<Option<Person>>,
    rendered: Vec<Rendered>,
}

impl Slots {
    fn next_index(&self) -> PersonIndex {
        self.persons.len()
    }

    fn push(&mut self, person: Person) {
        self.persons.push(Some(person));
        self.rendered.push(Rendered::default());
    }

    fn get(&self, index: PersonIndex) -> Option<&Person> {
        self.persons.get(index).and_then(Option::as_ref)
    }

    fn rendered(&self, index: PersonIndex) -> Option<&Rendered> {
        self.get(index)?;
        self.rendered.get(index)
    }

    fn forget_renderings(&mut self) {
        self.rendered.iter_mut().for_each(Rendered::clear);
    }

    /// The live person at `index`, to change: their kept rendering is dropped.
    fn get_mut(&mut self, index: PersonIndex) -> Option<&mut Person> {
        self.rendered.get_mut(index)?.clear();
        self.persons.get_mut(index)?.as_mut()
    }

    /// Takes the live person at `index` out, dropping their kept rendering.
    fn take(&mut self, index: PersonIndex) -> Option<Person> {
        self.rendered.get_mut(index)?.clear();
        self.persons.get_mut(index)?.take()
    }

    fn live(&self) -> impl Iterator<Item = (PersonIndex, &Person)> {
        self.persons
            .iter()
            .enumerate()
            .filter_map(|(index, person)| Some((index, person.as_ref()?)))
    }
}

impl PersonStore {
    /// How many live persons there are.
    pub fn live(&self) -> usize {
        self.live
    }

    /// The person at `index`, if live.
    pub fn get(&self, index: PersonIndex) -> Option<&Person> {
        self.persons.get(index)
    }

    /// The kept list rendering of person `index`, if live.
    pub fn rendered(&self, index: PersonIndex) -> Option<&Rendered> {
        self.persons.rendered(index)
    }

    /// Drops every person's kept rendering (a project setting they show changed).
    pub fn forget_renderings(&mut self) {
        self.persons.forget_renderings();
    }

    /// The person owning `distinct_id`.
    pub fn by_distinct_id(&self, distinct_id: &str) -> Option<PersonIndex> {
        self.by_distinct_id.get(distinct_id).copied()
    }

    /// The person with `uuid`.
    pub fn by_uuid(&self, uuid: &Uuid) -> Option<PersonIndex> {
        self.by_uuid.get(uuid).copied()
    }

    /// The person with numeric id `pk`.
    pub fn by_pk(&self, pk: i64) -> Option<PersonIndex> {
        self.by_pk.get(&pk).copied()
    }

    /// Live persons, newest first (`created_at` then UUID, both descending).
    pub fn newest_first(&self) -> impl Iterator<Item = PersonIndex> + '_ {
        self.order.iter().rev().map(|(_, _, index)| *index)
    }

    /// The order key of a live person.
    pub fn order_key(&self, index: PersonIndex) -> Option<(i64, Uuid)> {
        self.get(index)
            .map(|person| (person.created_at, person.uuid))
    }

    /// The value index of property `key`.
    pub fn values_of(&self, key: &str) -> Option<&FxHashMap<String, ValueBucket>> {
        self.values.of(key)
    }

    /// The persons that may match `search` (a superset of the matches), or `None` when the
    /// trigram index cannot narrow it.
    pub fn search_candidates(&self, search: &Search) -> Option<RoaringBitmap> {
        self.search.candidates(search)
    }

    /// The store's shared copy of `text` (made when new), for a property key or value.
    pub fn text(&mut self, text: &str) -> SharedStr {
        self.texts.text(text)
    }

    /// Adds a person without distinct ids; returns its index.
    pub fn insert(&mut self, mut person: Person) -> PersonIndex {
        person.properties.intern(&mut self.texts);
        let index = self.persons.next_index();
        if !self.search_deferred {
            self.search.add(index, person_trigrams(&person));
        }
        self.by_uuid.insert(person.uuid, index);
        self.by_pk.insert(person.pk, index);
        self.order.insert((person.created_at, person.uuid, index));
        self.values.add_all(index, &person.properties);
        self.persons.push(person);
        self.live += 1;
        index
    }

    /// Gives `distinct_id` to person `index` with the next row id, unless someone owns it.
    pub fn add_distinct_id(&mut self, index: PersonIndex, distinct_id: &str) {
        if self.by_distinct_id.contains_key(distinct_id) {
            return;
        }
        if let Some(person) = self.persons.get_mut(index) {
            person
                .distinct_ids
                .push((self.next_row_id, distinct_id.to_owned()));
            self.next_row_id += 1;
            self.by_distinct_id.insert(distinct_id.to_owned(), index);
            self.moved.push(distinct_id.to_owned());
            if !self.search_deferred {
                self.search.add(index, text_trigrams(distinct_id));
            }
        }
    }

    /// Takes `distinct_id` off person `index`, freeing it.
    pub fn remove_distinct_id(&mut self, index: PersonIndex, distinct_id: &str) {
        if self.by_distinct_id(distinct_id) != Some(index) {
            return;
        }
        let before = self
            .get(index)
            .filter(|_| !self.search_deferred)
            .map(person_trigrams)
            .unwrap_or_default();
        if let Some(person) = self.persons.get_mut(index) {
            person.distinct_ids.retain(|(_, id)| id != distinct_id);
            self.by_distinct_id.remove(distinct_id);
            self.moved.push(distinct_id.to_owned());
        }
        self.reindex_search(index, &before);
    }

    /// Sets (`Some`) or removes (`None`) properties of person `index`, re-indexing only
    /// those keys.
    pub fn set_properties(&mut self, index: PersonIndex, changes: &[(&str, Option<&Prop>)]) {
        let Some(person) = self.persons.get_mut(index) else {
            return;
        };
        let searched = !self.search_deferred
            && changes
                .iter()
                .any(|(key, _)| SEARCHED_PROPERTIES.contains(key));
        let searched_before = searched.then(|| searched_texts(person));
        for &(key, value) in changes {
            let old = match value {
                Some(value) => {
                    let mut value = value.clone();
                    value.intern(&mut self.texts);
                    person.properties.insert(self.texts.text(key), value)
                }
                None => person.properties.remove(key),
            };
            if let Some(old) = old {
                self.values.remove(index, key, &old);
            }
            if let Some(value) = person.properties.get(key) {
                self.values.add(index, key, value);
            }
        }
        if let Some(before) = searched_before {
            self.reindex_searched(index, &before);
        }
    }

    /// Changes person `index`'s properties and creation time with `change`, re-indexing what
    /// changed (its UUID, pk and distinct ids stay as they are).
    pub fn update(&mut self, index: PersonIndex, change: impl FnOnce(&mut Properties, &mut i64)) {
        let Some(person) = self.persons.get_mut(index) else {
            return;
        };
        let order_before = (person.created_at, person.uuid, index);
        let properties_before = person.properties.clone();
        let searched_before = (!self.search_deferred).then(|| searched_texts(person));
        change(&mut person.properties, &mut person.created_at);
        person.properties.intern(&mut self.texts);
        let order_after = (person.created_at, person.uuid, index);
        if order_after != order_before {
            self.order.remove(&order_before);
            self.order.insert(order_after);
        }
        self.values
            .replace(index, &properties_before, &person.properties);
        if let Some(before) = searched_before {
            self.reindex_searched(index, &before);
        }
    }

    /// Takes person `index` out of every index (freeing its distinct ids) and returns it.
    pub fn remove(&mut self, index: PersonIndex) -> Option<Person> {
        let person = self.persons.take(index)?;
        self.live -= 1;
        self.order.remove(&(person.created_at, person.uuid, index));
        self.by_uuid.remove(&person.uuid);
        self.by_pk.remove(&person.pk);
        for (_, distinct_id) in &person.distinct_ids {
            self.by_distinct_id.remove(distinct_id);
            self.moved.push(distinct_id.clone());
        }
        self.values.remove_all(index, &person.properties);
        if !self.search_deferred {
            self.search.remove(index, person_trigrams(&person));
        }
        Some(person)
    }

    /// Moves every distinct id of `from` (already removed) onto `to`, keeping row order.
    pub fn adopt_distinct_ids(&mut self, to: PersonIndex, from: &Person) {
        let Some(person) = self.persons.get_mut(to) else {
            return;
        };
        person
            .distinct_ids
            .extend(from.distinct_ids.iter().cloned());
        person.distinct_ids.sort_by_key(|(row, _)| *row);
        for (_, distinct_id) in &from.distinct_ids {
            self.by_distinct_id.insert(distinct_id.clone(), to);
            self.moved.push(distinct_id.clone());
            if !self.search_deferred {
                self.search.add(to, text_trigrams(distinct_id));
            }
        }
    }

    /// The distinct ids whose owner changed (given, freed or moved) since the last call.
    pub fn take_moved(&mut self) -> Vec<String> {
        std::mem::take(&mut self.moved)
    }

    /// Marks person `index` identified.
    pub fn mark_identified(&mut self, index: PersonIndex) {
        if let Some(person) = self.persons.get_mut(index) {
            person.is_identified = true;
        }
    }

    /// Sets `last_seen_at` of person `index` to `at` if that is later.
    pub fn see(&mut self, index: PersonIndex, at: i64) {
        if let Some(person) = self.persons.get_mut(index)
            && person.last_seen_at.is_none_or(|seen| seen < at)
        {
            person.last_seen_at = Some(at);
        }
    }

    /// Stops keeping the `search` trigram index up to date until [`Self::resume_search`]:
    /// a bulk load builds it once at its end instead of after every change. Nothing reads
    /// the index in between (ingestion never searches).
    pub fn defer_search(&mut self) {
        self.search_deferred = true;
    }

    /// Rebuilds the `search` trigram index from the live persons, if it was deferred, and
    /// keeps it up to date again: the same index as one kept through every change.
    pub fn resume_search(&mut self) {
        if std::mem::take(&mut self.search_deferred) {
            self.search = self.rebuilt_search();
        }
    }

    /// The `search` trigram index of the live persons, built from scratch.
    fn rebuilt_search(&self) -> SearchIndex {
        let live: Vec<(PersonIndex, &Person)> = self.persons.live().collect();
        SearchIndex::of_live(&live)
    }

    /// Brings person `index`'s trigrams from `before` (what it held) to what it holds now.
    fn reindex_search(&mut self, index: PersonIndex, before: &[Trigram]) {
        if self.search_deferred {
            return;
        }
        let after = self.get(index).map(person_trigrams).unwrap_or_default();
        self.search.replace(index, before, &after);
    }

    /// Brings person `index`'s trigrams up to date after its e-mail or name may have changed
    /// from `searched_before` (what [`searched_texts`] gave); its UUID and distinct ids are
    /// as they were.
    fn reindex_searched(&mut self, index: PersonIndex, searched_before: &[String]) {
        let Some(person) = self.get(index) else {
            return;
        };
        let before = searched_before.iter().map(String::as_str);
        if searched_texts(person)
            .iter()
            .map(String::as_str)
            .eq(before.clone())
        {
            return;
        }
        let before = trigrams_with(person, before);
        self.reindex_search(index, &before);
    }

    /// Rebuilds every index from the live persons and compares it with the maintained one
    /// (the search index unless deferred); also checks that no distinct id is on two persons and that distinct ids are in row
    /// order. For tests and debugging.
    pub fn check(&self) -> Result<(), String> {
        let mut by_distinct_id = FxHashMap::default();
        let mut by_uuid = FxHashMap::default();
        let mut by_pk = FxHashMap::default();
        let mut order = BTreeSet::new();
        let mut values = ValueIndex::default();
        for (index, person) in self.persons.live() {
            for (_, distinct_id) in &person.distinct_ids {
                if let Some(other) = by_distinct_id.insert(distinct_id.clone(), index) {
                    return Err(format!("{distinct_id} is on persons {other} and {index}"));
                }
            }
            if !person.distinct_ids.is_sorted_by_key(|(row, _)| *row) {
                return Err(format!(
                    "person {index}'s distinct ids are out of row order"
                ));
            }
            if by_uuid.insert(person.uuid, index).is_some()
                || by_pk.insert(person.pk, index).is_some()
            {
                return Err(format!("person {index} shares a UUID or pk"));
            }
            order.insert((person.created_at, person.uuid, index));
            values.add_all(index, &person.properties);
        }
        let checks = [
            (by_distinct_id == self.by_distinct_id, "distinct id"),
            (by_uuid == self.by_uuid, "UUID"),
            (by_pk == self.by_pk, "pk"),
            (order == self.order, "newest-first"),
            (order.len() == self.live, "live count"),
            (
                values.flattened() == self.values.flattened(),
                "property-value",
            ),
            (
                self.search_deferred || self.rebuilt_search() == self.search,
                "search",
            ),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            Some((_, name)) => Err(format!("the {name} index drifted from the persons")),
            None => Ok(()),
        }
    }
}
