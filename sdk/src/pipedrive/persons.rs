//! One person through API v2, with the counters it is asked for.

use super::{Client, v2};
use crate::{Error, into_body};

impl Client {
    /// The v2 person `id` with the counters named in `include_fields`.
    pub async fn person(
        &self,
        id: i64,
        include_fields: &[&str],
    ) -> Result<v2::types::Person, Error> {
        let mut request = self.v2().get_person().id(id);
        if !include_fields.is_empty() {
            request = request.include_fields(include_fields.join(","));
        }
        into_body(request.send().await)
            .await
            .map(|response| response.data)
    }
}
