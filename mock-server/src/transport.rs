//! Serves the [`App`] through wiremock: one catch-all responder at the lowest priority, so
//! a test can mount its own mocks (a 429, a 500, a delay) above the stateful model.

use std::sync::Arc;

use wiremock::{Mock, Respond, ResponseTemplate};

use crate::http::ApiRequest;
use crate::router::App;

/// The priority of the catch-all (wiremock's lowest); any mock a test mounts wins over it.
pub const MODEL_PRIORITY: u8 = u8::MAX;

/// A wiremock responder that forwards every request to the [`App`].
struct ModelResponder(Arc<App>);

impl Respond for ModelResponder {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let api_request = ApiRequest {
            method: request.method.as_str().to_owned(),
            path: request.url.path().to_owned(),
            query: request.url.query_pairs().into_owned().collect(),
            headers: request
                .headers
                .iter()
                .filter_map(|(name, value)| {
                    Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
                })
                .collect(),
            body: request.body.clone(),
        };
        let response = self.0.handle(&api_request);
        let mut template = ResponseTemplate::new(response.status);
        for (name, value) in &response.headers {
            template = template.insert_header(name.as_str(), value.as_str());
        }
        template.set_body_bytes(response.body)
    }
}

/// The wiremock mock that serves `app` for every request.
pub fn model_mock(app: Arc<App>) -> Mock {
    Mock::given(wiremock::matchers::any())
        .respond_with(ModelResponder(app))
        .with_priority(MODEL_PRIORITY)
        .named("persons-mock stateful model")
}
