//! PostHog's JSON bodies, as typed structs in PostHog's field order.

use serde::Serialize;
use serde_json::Value;

use super::person::Person;
use super::properties::{Prop, Properties};
use super::tenant::{PersonIndex, Project};
use super::time;

/// Retrieve's `Person` (PersonSerializer): integer id, non-anonymous distinct ids first.
#[derive(Debug, Serialize)]
pub struct PersonJson<'a> {
    id: i64,
    name: String,
    distinct_ids: Vec<&'a str>,
    properties: &'a Properties,
    created_at: String,
    uuid: String,
    last_seen_at: Option<String>,
}

impl<'a> PersonJson<'a> {
    /// Renders `person` with every distinct id; `names` is the project's
    /// `person_display_name_properties`.
    pub fn of(person: &'a Person, names: &[String]) -> Self {
        Self::with_properties(person, names, &person.properties, usize::MAX)
    }

    /// Renders `person` with at most `max_ids` distinct ids and `properties` in place of its own.
    pub fn with_properties(
        person: &'a Person,
        names: &[String],
        properties: &'a Properties,
        max_ids: usize,
    ) -> Self {
        let mut distinct_ids = person.sorted_distinct_ids();
        distinct_ids.truncate(max_ids);
        Self {
            id: person.pk,
            name: person.name(names),
            distinct_ids,
            properties,
            created_at: time::render(person.created_at),
            uuid: person.uuid.to_string(),
            last_seen_at: person.last_seen_at.map(time::render),
        }
    }
}

/// The list's `SerializedPerson`: UUID id, storage-order distinct ids (at most 1000).
#[derive(Debug, Serialize)]
pub struct SerializedPersonJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    uuid: String,
    created_at: String,
    last_seen_at: Option<String>,
    properties: &'a Properties,
    is_identified: bool,
    name: String,
    distinct_ids: Vec<&'a str>,
    matched_recordings: [Value; 0],
    value_at_data_point: Option<Value>,
}

/// Distinct ids the list shows per person.
const LIST_MAX_DISTINCT_IDS: usize = 1000;

impl<'a> SerializedPersonJson<'a> {
    /// Renders `person`; `names` is the project's `person_display_name_properties`.
    pub fn of(person: &'a Person, names: &[String]) -> Self {
        let uuid = person.uuid.to_string();
        Self {
            kind: "person",
            id: uuid.clone(),
            uuid,
            created_at: time::render(person.created_at),
            last_seen_at: person.last_seen_at.map(time::render),
            properties: &person.properties,
            is_identified: person.is_identified,
            name: person.name(names),
            distinct_ids: person
                .stored_distinct_ids()
                .take(LIST_MAX_DISTINCT_IDS)
                .collect(),
            matched_recordings: [],
            value_at_data_point: None,
        }
    }

    /// Appends live person `index` of `project` to `out` as the list shows them: their kept
    /// rendering (see [`super::rendered`]), made once since their last change.
    pub fn write_kept(project: &Project, index: PersonIndex, person: &Person, out: &mut Vec<u8>) {
        let names = project.display_name_properties();
        match project.rendered(index) {
            Some(rendered) => {
                rendered.write(out, || SerializedPersonJson::of(person, names).to_json())
            }
            None => SerializedPersonJson::write_fresh(person, names, out),
        }
    }

    /// Appends `person` to `out` as the list shows them, rendered afresh; `names` is the
    /// project's `person_display_name_properties`.
    pub fn write_fresh(person: &Person, names: &[String], out: &mut Vec<u8>) {
        SerializedPersonJson::of(person, names).write(out);
    }

    /// Appends the JSON bytes to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend(self.to_json());
    }

    /// The JSON bytes. serde_json refuses only maps with keys that are not text, which a
    /// person has none of; were it to refuse, the person is `null`.
    fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"null".to_vec())
    }

    /// The same with `value_at_data_point` set (trends actors).
    pub fn with_value(self, value: Value) -> Self {
        Self {
            value_at_data_point: Some(value),
            ..self
        }
    }
}

/// What follows the list body's `results`: the links and, with `include_total`, the count.
#[derive(Debug, Serialize)]
pub struct ListTailJson {
    /// The next page's URL.
    pub next: Option<String>,
    /// The previous page's URL.
    pub previous: Option<String>,
    /// Every match, with `include_total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
}

/// The list body, `{"results": [person, …], "next": …, "previous": …, "count": …}`, each person
/// appended by `write` (their kept rendering, or a fresh one) and `tail` after them.
pub fn list_body<'a>(
    persons: &[(PersonIndex, &'a Person)],
    mut write: impl FnMut(PersonIndex, &'a Person, &mut Vec<u8>),
    tail: &ListTailJson,
) -> Vec<u8> {
    persons_body(
        b"{\"results\":[",
        persons,
        |(index, person), out| write(*index, person, out),
        b"]",
        tail,
    )
}

/// A body that lists persons inside other JSON: `open`, each of `persons` appended by `write`
/// (comma-separated), `close`, then the fields of the object `tail` serialises to (at least
/// one) as the outer object's remaining fields. `open` starts the outer object.
pub fn persons_body<T>(
    open: &[u8],
    persons: impl IntoIterator<Item = T>,
    mut write: impl FnMut(T, &mut Vec<u8>),
    close: &[u8],
    tail: &impl Serialize,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 * 1024);
    out.extend_from_slice(open);
    for (position, person) in persons.into_iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        write(person, &mut out);
    }
    out.extend_from_slice(close);
    let start = out.len();
    match serde_json::to_writer(&mut out, tail) {
        // The tail's own `{` becomes the comma after what `close` closed.
        Ok(()) => out[start] = b',',
        Err(_) => {
            out.truncate(start);
            out.push(b'}');
        }
    }
    out
}

/// `{"success": true}`.
#[derive(Debug, Serialize)]
pub struct SuccessJson {
    /// Always true.
    pub success: bool,
}

/// The bulk_delete summary.
#[derive(Debug, Serialize)]
pub struct BulkDeleteJson {
    /// Persons matched.
    pub persons_found: usize,
    /// Persons deleted (0 with `keep_person`).
    pub persons_deleted: usize,
    /// `delete_events` and some person found.
    pub events_queued_for_deletion: bool,
    /// `delete_recordings` and some person found.
    pub recordings_queued_for_deletion: bool,
    /// Failures (never any in the mock).
    pub deletion_errors: [Value; 0],
}

/// `{"results": {key: Person}}` of the batch endpoints, in request order.
#[derive(Debug, Serialize)]
pub struct PersonsByKeyJson<'a> {
    /// The persons found.
    pub results: OrderedMap<'a>,
}

/// A JSON object whose keys keep their insertion order.
#[derive(Debug, Default)]
pub struct OrderedMap<'a>(pub Vec<(String, PersonJson<'a>)>);

impl Serialize for OrderedMap<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// `{"results": [{name, count}], "refreshing": false}` of values.
#[derive(Debug, Serialize)]
pub struct ValuesJson<'a> {
    /// Values, most frequent first.
    pub results: Vec<ValueCountJson<'a>>,
    /// Always false.
    pub refreshing: bool,
}

/// One value and how many persons hold it.
#[derive(Debug, Serialize)]
pub struct ValueCountJson<'a> {
    /// The value as stored.
    pub name: &'a Prop,
    /// Persons holding it.
    pub count: usize,
}

/// `{"results": [{id, name, count}]}` of cohorts.
#[derive(Debug, Serialize)]
pub struct CohortsJson<'a> {
    /// The cohorts.
    pub results: Vec<CohortJson<'a>>,
}

/// CohortMinimalSerializer.
#[derive(Debug, Serialize)]
pub struct CohortJson<'a> {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: &'a str,
    /// Members.
    pub count: usize,
}

/// A paginated body with `results`, `next`, `previous` and a total (activity, deletions).
#[derive(Debug, Serialize)]
pub struct ActivityPageJson<T> {
    /// The page.
    pub results: Vec<T>,
    /// The next page's URL.
    pub next: Option<String>,
    /// The previous page's URL.
    pub previous: Option<String>,
    /// Every entry.
    pub total_count: usize,
}

/// deletion_status's body (DRF LimitOffsetPagination).
#[derive(Debug, Serialize)]
pub struct DeletionPageJson {
    /// Every match.
    pub count: usize,
    /// The next page's URL.
    pub next: Option<String>,
    /// The previous page's URL.
    pub previous: Option<String>,
    /// The page.
    pub results: Vec<DeletionJson>,
}

/// One deletion.
#[derive(Debug, Serialize)]
pub struct DeletionJson {
    /// The person's UUID.
    pub person_uuid: String,
    /// When it was requested.
    pub created_at: String,
    /// `pending`, or `completed` once verified.
    pub status: &'static str,
    /// When it was verified.
    pub delete_verified_at: Option<String>,
}

/// The list as CSV (see [`csv`]); `names` is the project's `person_display_name_properties`.
pub fn persons_csv(persons: &[&Person], names: &[String]) -> String {
    let items: Vec<Value> = persons
        .iter()
        .filter_map(|person| serde_json::to_value(SerializedPersonJson::of(person, names)).ok())
        .collect();
    csv(&items)
}

/// `items` as djangorestframework-csv renders them: each item flattened into dotted columns
/// (`properties.email`, `distinct_ids.0`; an empty list or object gives no column), one
/// header row of every column sorted, then one row per item (a column it lacks is empty),
/// Python's `str` of each value (`True`, `1.0`, `1e+16`, null empty), cells quoted only
/// when they hold a comma, quote or line break, lines ended by CRLF; nothing at all for no
/// items.
pub fn csv(items: &[Value]) -> String {
    let rows: Vec<Vec<(String, String)>> = items
        .iter()
        .map(|item| {
            let mut row = Vec::new();
            flatten("", item, &mut row);
            row
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut header: Vec<&str> = rows.iter().flatten().map(|(key, _)| key.as_str()).collect();
    header.sort_unstable();
    header.dedup();
    let mut out = csv_line(header.iter().copied());
    for row in &rows {
        out.push_str(&csv_line(header.iter().map(|column| {
            row.iter()
                .find(|(key, _)| key == column)
                .map_or("", |(_, value)| value.as_str())
        })));
    }
    out
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let child = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(key, value)| flatten(&child(key), value, out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(index, value)| flatten(&child(&index.to_string()), value, out)),
        Value::Null => out.push((prefix.to_owned(), String::new())),
        Value::Bool(flag) => out.push((
            prefix.to_owned(),
            if *flag { "True" } else { "False" }.to_owned(),
        )),
        Value::String(text) => out.push((prefix.to_owned(), text.clone())),
        Value::Number(number) => out.push((
            prefix.to_owned(),
            match number.as_f64().filter(|_| number.is_f64()) {
                Some(float) => python_float(float),
                None => number.to_string(),
            },
        )),
    }
}

/// Python's `repr` of a float: the shortest digits that read back, positional for exponents
/// from -4 to 15 (always with a fraction, `1.0`), else scientific with a signed exponent of
/// at least two digits (`1e+16`, `1.5e-07`).
fn python_float(value: f64) -> String {
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let positional = value.to_string();
        if positional.contains('.') {
            positional
        } else {
            format!("{positional}.0")
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
    }
}

fn csv_line<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let cells: Vec<String> = cells
        .map(|cell| {
            if cell.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell.to_owned()
            }
        })
        .collect();
    format!("{}\r\n", cells.join(","))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn floats_read_as_pythons_repr() {
        for (value, text) in [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (-0.25, "-0.25"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (123_456_789_012_345.0, "123456789012345.0"),
            (1e16, "1e+16"),
            (2.5e300, "2.5e+300"),
        ] {
            assert_eq!(python_float(value), text);
        }
    }

    #[test]
    fn csv_flattens_sorts_and_quotes_like_djangorestframework_csv() {
        let items = [
            json!({"b": [true, null], "a": {"x": "1,2", "y": "say \"hi\""}, "n": 2.0, "e": []}),
            json!({"a": {"x": "line\nbreak"}, "z": 7}),
        ];
        assert_eq!(
            csv(&items),
            "a.x,a.y,b.0,b.1,n,z\r\n\"1,2\",\"say \"\"hi\"\"\",True,,2.0,\r\n\"line\nbreak\",,,,,7\r\n"
        );
        assert_eq!(csv(&[]), "");
    }
}
