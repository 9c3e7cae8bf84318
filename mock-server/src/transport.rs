//! Serves the [`App`] through wiremock: one catch-all responder at the lowest priority, so
//! faults ([`crate::faults`]) and a test's own mocks mount above the stateful model. Every
//! request the model or a fault answers is recorded in the server's [`Journal`].

use std::sync::Arc;

use wiremock::{Mock, Respond, ResponseTemplate};

use crate::faults::FaultKind;
use crate::http::{ApiRequest, ApiResponse};
use crate::journal::Journal;
use crate::operations::{self, Operation};
use crate::router::App;

/// The priority of the catch-all (wiremock's lowest); any mock a test mounts wins over it.
pub const MODEL_PRIORITY: u8 = u8::MAX;

/// The stateful model and the journal its answers go to: what the catch-all and the faults
/// answer through. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Exchange {
    app: Arc<App>,
    journal: Journal,
}

impl Exchange {
    /// Answers with `app`, recording into `journal`.
    pub(crate) fn new(app: Arc<App>, journal: Journal) -> Self {
        Self { app, journal }
    }

    /// Answers `request` with the model and records it, noting `fault` (a delay) if one
    /// holds the answer back.
    pub(crate) fn answer(
        &self,
        request: &wiremock::Request,
        fault: Option<FaultKind>,
    ) -> ResponseTemplate {
        let api_request = api_request(request);
        let (response, operation) = self.app.answer(&api_request);
        let template = template(&response);
        self.journal.record(
            self.app.clock.now_micros(),
            operation,
            api_request,
            Some(response),
            fault,
        );
        template
    }

    /// Records that `fault` answered `request` with `response` itself, and returns it.
    pub(crate) fn answer_with(
        &self,
        request: &wiremock::Request,
        response: ApiResponse,
        fault: FaultKind,
    ) -> ResponseTemplate {
        let template = template(&response);
        self.journal.record(
            self.app.clock.now_micros(),
            lookup(request),
            api_request(request),
            Some(response),
            Some(fault),
        );
        template
    }

    /// Records that `fault` dropped the connection of `request` without an answer.
    pub(crate) fn record_dropped(&self, request: &wiremock::Request, fault: FaultKind) {
        self.journal.record(
            self.app.clock.now_micros(),
            lookup(request),
            api_request(request),
            None,
            Some(fault),
        );
    }
}

/// The operation a request a fault answered hits (the model's answers name theirs).
fn lookup(request: &wiremock::Request) -> Option<&'static Operation> {
    operations::lookup(request.method.as_str(), request.url.path())
}

/// The transport-free request a wiremock request carries.
fn api_request(request: &wiremock::Request) -> ApiRequest {
    ApiRequest::from_parts(
        request.method.as_str(),
        request.url.path(),
        request.url.query(),
        &request.headers,
        request.body.clone(),
    )
}

/// The wiremock response for `response`.
fn template(response: &ApiResponse) -> ResponseTemplate {
    let mut template = ResponseTemplate::new(response.status);
    for (name, value) in &response.headers {
        template = template.insert_header(name.as_str(), value.as_str());
    }
    template.set_body_bytes(response.body.clone())
}

/// A wiremock responder that forwards every request to the model.
struct ModelResponder(Exchange);

impl Respond for ModelResponder {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        self.0.answer(request, None)
    }
}

/// The wiremock mock that serves the model of `exchange` for every request.
pub(crate) fn model_mock(exchange: Exchange) -> Mock {
    Mock::given(wiremock::matchers::any())
        .respond_with(ModelResponder(exchange))
        .with_priority(MODEL_PRIORITY)
        .named("persons-mock stateful model")
}
