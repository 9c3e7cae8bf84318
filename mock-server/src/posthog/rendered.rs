//! Each person's JSON as the list renders it (`SerializedPerson`), kept as a projection: filled
//! by the first list that shows the person, dropped by every change of the person (properties,
//! creation time, distinct ids, identification, `last_seen_at`, deletion; the
//! [`PersonStore`](super::store::PersonStore) drops it in the one method through which each of
//! them goes) and, for every person at once, by a change of the project's
//! `person_display_name_properties` (the `name` it shows). Nothing else a list shows of a person
//! can change, and none of it depends on the clock. A page copies the kept bytes instead of
//! rendering every field again (Whop keeps its persons' renderings the same way,
//! `whop/rendered.rs`). `kept_renderings_answer_as_fresh_ones` (in `tenant/tests.rs`) checks
//! that kept and fresh lists are the same bytes after random writes.

use std::sync::OnceLock;

/// A person's kept list rendering: JSON bytes, once made.
#[derive(Clone, Debug, Default)]
pub struct Rendered(OnceLock<Box<[u8]>>);

impl Rendered {
    /// Appends the rendering to `out`, made by `render` the first time it is asked for since
    /// the last [`clear`](Self::clear).
    pub fn write(&self, out: &mut Vec<u8>, render: impl FnOnce() -> Vec<u8>) {
        out.extend_from_slice(self.0.get_or_init(|| render().into_boxed_slice()));
    }

    /// Drops the kept rendering (a write changed the person or what they show).
    pub fn clear(&mut self) {
        self.0.take();
    }
}
