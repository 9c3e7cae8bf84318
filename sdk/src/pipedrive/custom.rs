//! API v1 custom fields. v1 puts custom field values at the root of a person, under their
//! 40-hex keys (with sibling keys such as `<key>_currency`); the generated v1 types cannot
//! carry them (typify drops `additionalProperties`), so these calls add them to the JSON body
//! and read them back from the raw response.

use progenitor_client::ClientInfo;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Client, raw, v1};
use crate::Error;

/// Custom field values by key, in v1's form (enum option id as a string, set as `"1,2"`,
/// monetary plus `<key>_currency`…).
pub type CustomFields = Map<String, Value>;

/// A v1 person with its custom field values.
#[derive(Clone, Debug)]
pub struct PersonWithCustomFields {
    /// The typed person.
    pub person: v1::types::Person,
    /// Its custom field values: every root key that is a 40-hex key or starts with one and
    /// `_` (sibling keys).
    pub custom_fields: CustomFields,
}

/// Whether `key` names a custom field value: a 40-hex key, alone or with a `_suffix`.
pub fn is_custom_key(key: &str) -> bool {
    let (hash, suffix) = key.split_at_checked(40).unwrap_or((key, ""));
    hash.len() == 40
        && hash.bytes().all(|byte| byte.is_ascii_hexdigit())
        && (suffix.is_empty() || suffix.len() > 1 && suffix.starts_with('_'))
}

#[derive(Deserialize)]
struct Envelope {
    data: Map<String, Value>,
}

impl Client {
    /// `POST /v1/persons` with `custom_fields` at the root of the body.
    pub async fn add_person_with_custom_fields(
        &self,
        input: &v1::types::PersonInput,
        custom_fields: &CustomFields,
    ) -> Result<PersonWithCustomFields, Error> {
        let url = format!("{}/persons", self.v1().baseurl());
        let body = merged(input, custom_fields)?;
        let request = self.v1().client().post(url).json(&body);
        self.person_request(request, "addPerson").await
    }

    /// `PUT /v1/persons/{id}` with `custom_fields` at the root of the body (`null` clears one).
    pub async fn update_person_with_custom_fields(
        &self,
        id: i64,
        input: &v1::types::PersonInput,
        custom_fields: &CustomFields,
    ) -> Result<PersonWithCustomFields, Error> {
        let url = format!("{}/persons/{id}", self.v1().baseurl());
        let body = merged(input, custom_fields)?;
        let request = self.v1().client().put(url).json(&body);
        self.person_request(request, "updatePerson").await
    }

    /// `GET /v1/persons/{id}` with its custom field values.
    pub async fn get_person_with_custom_fields(
        &self,
        id: i64,
    ) -> Result<PersonWithCustomFields, Error> {
        let url = format!("{}/persons/{id}", self.v1().baseurl());
        let request = self.v1().client().get(url);
        self.person_request(request, "getPerson").await
    }

    async fn person_request(
        &self,
        request: reqwest::RequestBuilder,
        operation: &str,
    ) -> Result<PersonWithCustomFields, Error> {
        let envelope: Envelope = raw::send(self.v1(), request, operation).await?;
        let custom_fields = envelope
            .data
            .iter()
            .filter(|(key, _)| is_custom_key(key))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let person = serde_json::from_value(Value::Object(envelope.data)).map_err(|source| {
            Error::InvalidResponse {
                body: bytes::Bytes::new(),
                source,
            }
        })?;
        Ok(PersonWithCustomFields {
            person,
            custom_fields,
        })
    }
}

/// `input` as a JSON object with `custom_fields` added at its root.
fn merged(input: &v1::types::PersonInput, custom_fields: &CustomFields) -> Result<Value, Error> {
    let mut body = match serde_json::to_value(input) {
        Ok(Value::Object(body)) => body,
        Ok(_) | Err(_) => {
            return Err(Error::InvalidRequest(
                "the person input is not a JSON object".into(),
            ));
        }
    };
    for (key, value) in custom_fields {
        if !is_custom_key(key) {
            return Err(Error::InvalidRequest(format!(
                "{key:?} is not a custom field key (40 hex digits, optionally with a _suffix)"
            )));
        }
        body.insert(key.clone(), value.clone());
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "d4de1c1518b4531717c676029a45911c340390a6";

    #[test]
    fn recognises_custom_keys_and_their_siblings() {
        assert!(is_custom_key(KEY));
        assert!(is_custom_key(&format!("{KEY}_currency")));
        assert!(!is_custom_key(&format!("{KEY}_")));
        assert!(!is_custom_key(&format!("{KEY}x")));
        assert!(!is_custom_key("name"));
        assert!(!is_custom_key(&"é".repeat(30)));
        assert!(!is_custom_key(&KEY.replace('d', "g")));
    }

    #[test]
    fn merges_custom_values_into_the_body_and_refuses_other_keys() {
        let input = v1::types::PersonInput {
            name: Some("Ann".into()),
            ..Default::default()
        };
        let custom: CustomFields = [(KEY.to_owned(), Value::from(5))].into_iter().collect();
        let body = merged(&input, &custom).unwrap();
        assert_eq!(body["name"], "Ann");
        assert_eq!(body[KEY], 5);
        let bad: CustomFields = [("name".to_owned(), Value::from("x"))]
            .into_iter()
            .collect();
        assert!(matches!(
            merged(&input, &bad),
            Err(Error::InvalidRequest(_))
        ));
    }
}
