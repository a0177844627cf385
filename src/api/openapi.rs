//! Finishing touches on the generated OpenAPI document, so that it describes every answer the
//! node really gives: every error is `application/problem+json`, and every operation lists
//! the statuses any route can produce (bad input, refused certificate role, limits, storage).

use utoipa::openapi::path::Operation;
use utoipa::openapi::{Content, OpenApi, RefOr, Response, ResponseBuilder};

/// Statuses any operation may answer with, whatever its handler does.
const COMMON: &[(&str, &str)] = &[
    ("400", "Malformed request (problem+json)"),
    ("403", "The certificate's identity may not do this (problem+json)"),
    ("404", "No such case or route parameter (problem+json)"),
    ("413", "Request body too large (problem+json)"),
    ("415", "Body is not JSON (problem+json)"),
    ("422", "Request refused by validation (problem+json)"),
    ("429", "Rate limit reached; see Retry-After (problem+json)"),
    ("503", "Storage unavailable; nothing was done (problem+json)"),
];

fn problem_response(description: &str) -> RefOr<Response> {
    let content = Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Problem"))));
    RefOr::T(ResponseBuilder::new().description(description).content("application/problem+json", content).build())
}

fn finish(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        if (status.starts_with('4') || status.starts_with('5'))
            && let RefOr::T(response) = response
            && let Some(json) = response.content.shift_remove("application/json")
        {
            response.content.insert("application/problem+json".to_owned(), json);
        }
    }
    for (status, description) in COMMON {
        operation.responses.responses.entry((*status).to_owned()).or_insert_with(|| problem_response(description));
    }
}

/// Applies the finishing touches to every operation.
pub fn finish_document(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            finish(operation);
        }
    }
}
