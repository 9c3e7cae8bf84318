//! The deal and activity operations both API versions serve (create, get, update, delete),
//! routed once: the versions differ only in the update verb (`PUT` / `PATCH`), the create
//! status (201 / 200), the body typing and the rendering.

use super::api::{self, ACTIVITIES_FULL, ACTIVITIES_READ, Context, DEALS_FULL, DEALS_READ, Render};
use super::company::Company;
use super::error::PipedriveError;
use super::params::{self, Version};
use super::v1::{activity_patch, deal_patch};
use crate::http::ApiResponse;

/// How one version renders deals and activities.
pub struct Renderings {
    /// A deal.
    pub deal: Render,
    /// An activity.
    pub activity: Render,
}

/// Answers a deal or activity operation of `version`; `None` when `segments` name none.
pub fn route(
    cx: &Context<'_>,
    segments: &[&str],
    version: Version,
    render: &Renderings,
) -> Option<Result<ApiResponse, PipedriveError>> {
    let (update_verb, created) = match version {
        Version::V1 => ("PUT", 201),
        Version::V2 => ("PATCH", 200),
    };
    let method = cx.request.method.as_str();
    let update = method == update_verb;
    let answer = match (method, segments) {
        ("POST", ["deals"]) => api::create(
            cx,
            DEALS_FULL,
            version,
            deal_patch,
            Company::create_deal,
            render.deal,
            created,
        ),
        ("POST", ["activities"]) => api::create(
            cx,
            ACTIVITIES_FULL,
            version,
            activity_patch,
            Company::create_activity,
            render.activity,
            created,
        ),
        (_, ["deals", id]) => params::path_id(id, "Deal").and_then(|id| match method {
            "GET" => api::read(cx, DEALS_READ, id, render.deal),
            "DELETE" => api::delete(cx, DEALS_FULL, id, Company::delete_deal),
            _ if update => api::update(
                cx,
                DEALS_FULL,
                version,
                id,
                deal_patch,
                Company::update_deal,
                render.deal,
            ),
            _ => Err(api::route_not_found(cx.request)),
        }),
        (_, ["activities", id]) => params::path_id(id, "Activity").and_then(|id| match method {
            "GET" => api::read(cx, ACTIVITIES_READ, id, render.activity),
            "DELETE" => api::delete(cx, ACTIVITIES_FULL, id, Company::delete_activity),
            _ if update => api::update(
                cx,
                ACTIVITIES_FULL,
                version,
                id,
                activity_patch,
                Company::update_activity,
                render.activity,
            ),
            _ => Err(api::route_not_found(cx.request)),
        }),
        _ => return None,
    };
    Some(answer)
}
